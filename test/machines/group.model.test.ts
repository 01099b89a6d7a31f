import { describe, expect, it } from "vitest";
import type { SnapshotFrom } from "xstate";
import type { GroupStrategy } from "../../src/config/types.js";
import { failure } from "../../src/machines/call.js";
import { groupMachine, type GroupAttempt, type GroupEvent } from "../../src/machines/group.js";
import { groupStateFor, isInRotation } from "../../src/machines/group-routing.js";
import { walkModel } from "../helpers/model-walk.js";
import { testGroupSpec } from "../helpers/group-specs.js";

type GroupSnapshot = SnapshotFrom<typeof groupMachine>;

const reply = (): void => undefined;
const call = { tool: "t", arguments: {}, correlationId: "c", reply };
const attemptOn = (member: string): GroupAttempt => ({ call, member, tried: [member], retried: [] });

const members = [
  { id: "a", weight: 3, priority: 1 },
  { id: "b", weight: 1, priority: 2 },
  { id: "c", weight: 1, priority: 3 },
];

const events: GroupEvent[] = [
  { type: "INVOKE", call },
  { type: "MEMBER.REPLIED", attempt: attemptOn("a"), outcome: { status: "result", kind: "ok", result: { content: [] } } },
  { type: "MEMBER.REPLIED", attempt: attemptOn("b"), outcome: failure("crash", "died") },
  { type: "MEMBER.STATE", memberId: "a", state: "DEAD", breaker: "CLOSED" },
  { type: "MEMBER.STATE", memberId: "a", state: "READY", breaker: "CLOSED" },
  { type: "MEMBER.STATE", memberId: "b", state: "RECOVERING", breaker: "CLOSED" },
  { type: "MEMBER.STATE", memberId: "b", state: "DEGRADED", breaker: "OPEN" },
  { type: "MEMBER.STATE", memberId: "b", state: "READY", breaker: "CLOSED" },
  { type: "MEMBER.STATE", memberId: "c", state: "DEAD", breaker: "CLOSED" },
  { type: "MEMBER.STATE", memberId: "c", state: "COLD", breaker: "HALF_OPEN" },
  { type: "MEMBER.ADD", member: { id: "d", weight: 1, priority: 0 } },
  { type: "MEMBER.REMOVE", memberId: "b" },
  { type: "REBALANCE" },
  { type: "REBALANCE.APPLY", plan: { reason: "members", members: members.slice(0, 2), added: [], removed: ["c"] } },
  { type: "FAILBACK" },
];

/** The chart cares about member states, the rotation, the failover pin and whether calls run; not about counts beyond that. */
function serialize(snapshot: GroupSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify([
    snapshot.value,
    context.members.map((m) => `${m.id}:${m.state}:${m.breaker}`),
    context.active,
    Object.entries(context.inFlight).map(([id, n]) => `${id}:${Math.min(n, 1)}`),
  ]);
}

describe("group chart (model-based, real machine)", () => {
  for (const [strategy, minHealthy] of [
    ["priority", 2],
    ["round_robin", 3],
    ["weighted_round_robin", 1],
  ] as [GroupStrategy, number][]) {
    it(`every shortest path keeps state, rotation and failover pin consistent (${strategy}, min_healthy ${minHealthy})`, () => {
      const report = walkModel<GroupSnapshot>(groupMachine, {
        events,
        input: { spec: testGroupSpec({ strategy, minHealthy, members }), random: () => 0.5 },
        serializeState: serialize,
        invariant: (snapshot, { path, event, previous }) => {
          const where = `after ${path.join(" → ")}`;
          const { context } = snapshot;
          // The state says how many members are in rotation, and context.state follows it.
          expect(snapshot.value, where).toBe(groupStateFor(context.rotation.length, context.spec.minHealthy));
          expect(context.state, where).toBe(snapshot.value);
          // The rotation is exactly the members that are not DEAD, not RECOVERING and not breaker OPEN.
          expect(context.rotation.map((m) => m.id), where).toEqual(context.members.filter(isInRotation).map((m) => m.id));
          for (const member of context.rotation) {
            expect(["DEAD", "RECOVERING"], where).not.toContain(member.state);
            expect(member.breaker, where).not.toBe("OPEN");
          }
          // In-flight counts are real counts: never negative.
          for (const count of Object.values(context.inFlight)) expect(count, where).toBeGreaterThanOrEqual(0);
          // An INACTIVE group counts no new call.
          if (event.type === "INVOKE" && previous?.value === "INACTIVE") expect(context.inFlight, where).toEqual(previous.context.inFlight);
          // priority: while any member is in rotation, traffic goes to one of them.
          if (strategy === "priority" && context.rotation.length > 0) {
            expect(context.rotation.map((m) => m.id), where).toContain(context.active);
          }
          if (strategy !== "priority") expect(context.active, where).toBeUndefined();
        },
      });
      // PARTIAL exists only when min_healthy asks for more than one member.
      const expected = minHealthy > 1 ? ['"HEALTHY"', '"PARTIAL"', '"INACTIVE"'] : ['"HEALTHY"', '"INACTIVE"'];
      expect(report.valuesReached).toEqual(new Set(expected));
    });
  }
});
