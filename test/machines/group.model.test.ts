import { describe, expect, it } from "vitest";
import { transition, type SnapshotFrom } from "xstate";
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

/** The lane walk also tells apart the lane's state, the event that closed it and how many more wait. */
function serializeWithLane(snapshot: GroupSnapshot): string {
  const { lane, laneHeld } = snapshot.context;
  // Which event closed the lane decides what its LANE.CLOSED leads to; more held ones are counted, not told apart.
  const first = laneHeld[0] === undefined ? undefined : JSON.stringify(laneHeld[0], (key, value: unknown) => (key === "call" ? undefined : value));
  return JSON.stringify([serialize(snapshot), lane, first, Math.min(laneHeld.length, 2)]);
}

/** Whether the chart may let its serving lane route calls: serving, and no rebalance waiting to apply. */
const laneMayOpen = (snapshot: GroupSnapshot) => snapshot.value !== "INACTIVE" && snapshot.context.plannedMembers === undefined;

/** What a lane's close may not change before its LANE.CLOSED: everything the chart decides on. */
const decided = (snapshot: GroupSnapshot) => {
  const { members, rotation, memory, active, plannedMembers } = snapshot.context;
  // A member with nothing in flight counts 0 or not at all.
  const inFlight = Object.fromEntries(Object.entries(snapshot.context.inFlight).filter(([, count]) => count !== 0));
  return { value: snapshot.value, members, rotation, inFlight, memory, active, plannedMembers };
};

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
          // Without a lane (the chart's default closeLane answers at once) the lane is open exactly
          // while the chart may let it route: every event closes it, and it opens again after.
          expect(context.lane, where).toBe(laneMayOpen(snapshot) ? "open" : "closed");
          expect(context.laneHeld, where).toEqual([]);
        },
      });
      // PARTIAL exists only when min_healthy asks for more than one member.
      const expected = minHealthy > 1 ? ['"HEALTHY"', '"PARTIAL"', '"INACTIVE"'] : ['"HEALTHY"', '"INACTIVE"'];
      expect(report.valuesReached).toEqual(new Set(expected));
    });
  }

  it("the serving lane: opens only while nothing is to decide, every event closes it and waits for its counts, which are folded before the events held are taken one by one", () => {
    // A lane that answers its close only when the walk sends LANE.CLOSED, as the runtime's does (after the step).
    const laned = groupMachine.provide({ actions: { closeLane: () => undefined } });
    const laneEvents: GroupEvent[] = [
      // Calls, answers and member states: the rebalance events start sagas and watch members,
      // which the walk's actor system cannot do again from the snapshots this walk re-enters (the
      // main walk covers them; the runtime tests cover a removal with a lane open).
      ...events.filter((event) => ["INVOKE", "MEMBER.REPLIED"].includes(event.type)),
      { type: "MEMBER.STATE", memberId: "a", state: "DEAD", breaker: "CLOSED" },
      { type: "MEMBER.STATE", memberId: "a", state: "READY", breaker: "CLOSED" },
      { type: "MEMBER.STATE", memberId: "b", state: "RECOVERING", breaker: "CLOSED" },
      { type: "MEMBER.STATE", memberId: "c", state: "DEAD", breaker: "CLOSED" },
      { type: "LANE.CLOSED", inFlight: {} },
      { type: "LANE.CLOSED", inFlight: { a: 1, b: 2 }, memory: { cursor: 1, currentWeights: {} } },
    ];
    const input = { spec: testGroupSpec({ strategy: "round_robin", minHealthy: 2, members }), random: () => 0.5 };
    // Paths share their first steps: each step (a snapshot the walk reached, and how) is checked once.
    const checked = new WeakSet<GroupSnapshot>();
    const report = walkModel<GroupSnapshot>(laned, {
      events: laneEvents,
      input,
      serializeState: serializeWithLane,
      invariant: (snapshot, { path, event, previous }) => {
        if (checked.has(snapshot)) return;
        checked.add(snapshot);
        const where = `after ${path.join(" → ")}`;
        const { context } = snapshot;
        // Open only while serving with nothing held and no rebalance waiting; closing only while events wait.
        if (context.lane === "open") {
          expect(laneMayOpen(snapshot), where).toBe(true);
          expect(context.laneHeld, where).toEqual([]);
        }
        expect(context.lane === "closing", where).toBe(context.laneHeld.length > 0);
        // Between events the lane is never left replaying, nor closed when it may open.
        expect(context.lane, where).not.toBe("replaying");
        if (context.lane === "closed") expect(laneMayOpen(snapshot), where).toBe(false);
        if (previous === undefined) return;
        // The walk keeps one snapshot per serialized state (counts and held events collapsed):
        // what this event does to the previous snapshot is computed here, exactly.
        const [actual] = transition(laned, previous, event as GroupEvent);
        const exactly = actual.context;
        if (event.type !== "LANE.CLOSED") {
          if (previous.context.lane === "closed") return;
          // An open lane closes first; a closing one holds the event: nothing is decided meanwhile.
          expect(exactly.lane, where).toBe("closing");
          expect(exactly.laneHeld, where).toEqual([...previous.context.laneHeld, event]);
          expect(decided(actual), where).toEqual(decided(previous));
          return;
        }
        if (previous.context.lane !== "closing") {
          // A LANE.CLOSED nothing waits for changes nothing.
          expect(decided(actual), where).toEqual(decided(previous));
          return;
        }
        // The lane's counts folded in, then the held events taken as the chart takes them one at a time.
        const lane = event as Extract<GroupEvent, { type: "LANE.CLOSED" }>;
        const inFlight = { ...previous.context.inFlight };
        for (const [id, n] of Object.entries(lane.inFlight)) inFlight[id] = (inFlight[id] ?? 0) + n;
        let expected = groupMachine.resolveState({
          value: previous.value,
          context: { ...previous.context, lane: "closed", laneHeld: [], inFlight, memory: lane.memory ?? previous.context.memory },
        });
        for (const held of previous.context.laneHeld) [expected] = transition(groupMachine, expected, held);
        expect(decided(actual), where).toEqual(decided(expected));
        expect(exactly.laneHeld, where).toEqual([]);
      },
    });
    expect(report.valuesReached).toEqual(new Set(['"HEALTHY"', '"PARTIAL"', '"INACTIVE"']));
  });
});
