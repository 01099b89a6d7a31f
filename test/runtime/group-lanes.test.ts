import { afterEach, describe, expect, it } from "vitest";
import type { AnyActorRef } from "xstate";
import type { GroupSpec } from "../../src/config/types.js";
import type { CallOutcome, MemberRefusal } from "../../src/machines/call.js";
import type { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { callSteps, startHangar, stopHangars } from "../helpers/scripted-hangar.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A group's serving lane (src/runtime/group-lanes.ts) on a real HangarRuntime: while the group
 * serves with nothing for its chart to decide, the runtime routes its calls with the chart's
 * strategy and counts, without a step of the group chart. These tests pin what must not change:
 * the strategy's choices, the counts (live in views, handed back to the chart, waited for by a
 * rebalance), a failure's retry by the chart, and what observers hear of a call.
 *
 * The connection and the hangar: test/helpers/scripted-hangar.ts.
 */
afterEach(stopHangars);

const members = () => ["a", "b"].map((id) => testSpec({ id, healthCheckIntervalS: 3_600 }));
const memberOf = (outcome: CallOutcome) => (outcome.status === "result" ? outcome.result._meta?.["mcp-hangar/member"] : undefined);
/** The group chart's steps for calls: a call it routes costs an INVOKE and a MEMBER.REPLIED. */
const groupCallSteps = (steps: readonly string[] | undefined) => (steps ?? []).filter((type) => type === "INVOKE" || type === "MEMBER.REPLIED");

async function startGroup(spec: Partial<GroupSpec> = {}, options: { groupLanes?: boolean } = {}) {
  const hangar = startHangar(members(), [testGroupSpec(spec)], options);
  await Promise.all([hangar.runtime.startProvider("a"), hangar.runtime.startProvider("b")]);
  // The group hears of its members' READY from their events: wait until its lane is open.
  if (options.groupLanes !== false) await waitFor(() => hangar.groupChartOf("g").lane === "open", 5_000, "the group's lane to open");
  return hangar;
}

describe("a group's serving lane", () => {
  it("routes calls without a step of the group chart or the members' charts; round robin alternates and views count laned calls", async () => {
    const { runtime, script, stepsOf, groupStepsOf, groupChartOf } = await startGroup();
    const outcomes: CallOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await runtime.invoke("g", "echo", {}));
    expect(outcomes.map(memberOf)).toEqual(["a", "b", "a", "b"]);
    expect(groupCallSteps(groupStepsOf.g)).toEqual([]);
    expect(callSteps(stepsOf.a ?? [])).toEqual([]);
    expect(callSteps(stepsOf.b ?? [])).toEqual([]);
    // A call running in the lane: registry views count it at once; the chart has not been told.
    const held = runtime.invoke("g", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    expect(runtime.groupView("g")?.members.map((member) => [member.id, member.inFlight])).toEqual([
      ["a", 1],
      ["b", 0],
    ]);
    expect(groupChartOf("g").inFlight).toEqual({});
    script.held.shift()?.();
    expect(memberOf(await held)).toBe("a");
    expect(runtime.groupView("g")?.members.map((member) => member.inFlight)).toEqual([0, 0]);
    expect(groupCallSteps(groupStepsOf.g)).toEqual([]);
  });

  it("least connections sees the calls the lane has running", async () => {
    const { runtime, script, groupStepsOf } = await startGroup({ strategy: "least_connections" });
    const held = runtime.invoke("g", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    // a runs one call: the next two go to b, the idle one.
    const next = [await runtime.invoke("g", "echo", {}), await runtime.invoke("g", "echo", {})];
    expect(next.map(memberOf)).toEqual(["b", "b"]);
    script.held.shift()?.();
    expect(memberOf(await held)).toBe("a");
    expect(groupCallSteps(groupStepsOf.g)).toEqual([]);
  });

  it("hands a member's failure to the chart, which retries it on the other member; the lane opens again, and follows the rotation when a member leaves it", async () => {
    const spec = { retryOnMemberFailure: "always" as const };
    const hangar = startHangar(
      [
        testSpec({ id: "a", healthCheckIntervalS: 3_600, circuitBreaker: { failureThreshold: 2, resetTimeoutS: 60, halfOpenMaxCalls: 1 } }),
        testSpec({ id: "b", healthCheckIntervalS: 3_600 }),
      ],
      [testGroupSpec(spec)],
    );
    const { runtime, groupStepsOf, groupChartOf } = hangar;
    await Promise.all([runtime.startProvider("a"), runtime.startProvider("b")]);
    await waitFor(() => groupChartOf("g").lane === "open", 5_000, "the group's lane to open");
    const outcome = await runtime.invoke("g", "slow_on_a", {});
    expect(outcome).toMatchObject({ status: "result", kind: "ok" });
    expect(memberOf(outcome)).toBe("b");
    expect(outcome.status === "result" ? outcome.result._meta?.["mcp-hangar/retried"] : undefined).toMatchObject([{ member: "a", kind: "timeout" }]);
    // The laned attempt's failure was the chart's (MEMBER.REPLIED), and so was the retry's answer.
    expect(groupCallSteps(groupStepsOf.g)).toEqual(["MEMBER.REPLIED", "MEMBER.REPLIED"]);
    expect(groupChartOf("g")).toMatchObject({ lane: "open", inFlight: { a: 0, b: 0 } });
    // Open again: the next calls take no step of the chart.
    const before = groupCallSteps(groupStepsOf.g).length;
    const next = [await runtime.invoke("g", "echo", {}), await runtime.invoke("g", "echo", {})];
    expect(next.map(memberOf).sort()).toEqual(["a", "b"]);
    expect(groupCallSteps(groupStepsOf.g)).toHaveLength(before);
    // a's second fault opens its breaker: a leaves the rotation, the lane closes and opens on b alone.
    await runtime.invoke("g", "slow_on_a", {});
    await runtime.invoke("g", "slow_on_a", {});
    await waitFor(() => groupChartOf("g").rotation.length === 1, 5_000, "a out of the rotation");
    await waitFor(() => groupChartOf("g").lane === "open", 5_000, "the lane open on b alone");
    const steps = groupCallSteps(groupStepsOf.g).length;
    const onB = [await runtime.invoke("g", "echo", {}), await runtime.invoke("g", "echo", {})];
    expect(onB.map(memberOf)).toEqual(["b", "b"]);
    expect(groupCallSteps(groupStepsOf.g)).toHaveLength(steps);
    expect(Object.values(groupChartOf("g").inFlight).every((count) => count === 0)).toBe(true);
  });

  it("makes a member's removal wait for the call the lane has running on it: nothing lost, nothing counted twice", async () => {
    const { runtime, script, groupStepsOf, groupChartOf, groupOf } = await startGroup();
    const held = runtime.invoke("g", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    expect(groupCallSteps(groupStepsOf.g)).toEqual([]);
    groupOf("g").send({ type: "MEMBER.REMOVE", memberId: "a" });
    // The lane handed its count back before the removal was decided: the saga drains a.
    const saga = () => groupOf("g").system.get("saga:rebalance:g") as AnyActorRef | undefined;
    await waitFor(() => (saga()?.getSnapshot() as { value: unknown } | undefined)?.value === "draining", 5_000, "the rebalance saga draining a");
    expect(groupChartOf("g")).toMatchObject({ inFlight: { a: 1 }, members: [{ id: "b" }] });
    expect((await runtime.invoke("g", "echo", {})).status).toBe("result");
    script.held.shift()?.();
    expect(memberOf(await held)).toBe("a");
    await waitFor(() => saga() === undefined, 5_000, "the rebalance saga done");
    // a's count left with its last call; b's calls are answered (the chart's or the lane's).
    expect(groupChartOf("g").inFlight.a).toBeUndefined();
    expect(Object.values(groupChartOf("g").inFlight).every((count) => count === 0)).toBe(true);
    await waitFor(() => groupChartOf("g").lane === "open", 5_000, "the lane open again");
    expect(runtime.groupView("g")?.members.map((member) => [member.id, member.inFlight])).toEqual([["b", 0]]);
  });

  it("announces a call as the chart path does: the same domain events, from the same actors", async () => {
    const run = async (groupLanes: boolean) => {
      const { runtime, script, events, groupStepsOf } = await startGroup({ strategy: "round_robin" }, { groupLanes });
      await exercise(runtime, script);
      return { events: events.map(comparable), routedByChart: groupCallSteps(groupStepsOf.g).length };
    };
    const laned = await run(true);
    await stopHangars();
    const charted = await run(false);
    expect(laned.routedByChart).toBe(0);
    expect(charted.routedByChart).toBeGreaterThan(0);
    expect(laned.events).toEqual(charted.events);
    // Among them the group's own: the refusal when every member was over its limit.
    expect(laned.events).toContainEqual(expect.objectContaining({ type: "ToolInvocationFailed", systemId: "group:g", stage: "refused", correlationId: "c7" }));
  });
});

/** A member's own limit refusing every call (as the security controls' admission does). */
function overLimit(member: string): MemberRefusal {
  const data = { limit: "provider", retry_after_ms: 1_000 };
  return {
    outcome: { status: "rpc_error", kind: "tool_error", code: -32029, message: `rate limit exceeded for provider '${member}'`, data },
    reason: "rate_limited_provider",
    retryAfterMs: 1_000,
  };
}

/** A few calls of each kind: results, a tool error, a call held while another runs, members over their limits. */
async function exercise(runtime: HangarRuntime, script: { held: (() => void)[] }): Promise<void> {
  await runtime.invoke("g", "echo", {}, { correlationId: "c1" });
  await runtime.invoke("g", "tool_error", {}, { correlationId: "c2" });
  const held = runtime.invoke("g", "hold", {}, { correlationId: "c3" });
  await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
  await runtime.invoke("g", "echo", {}, { correlationId: "c4" });
  script.held.shift()?.();
  await held;
  await runtime.invoke("g", "echo", {}, { correlationId: "c5" });
  // The member picked first over its limit: the other takes the call (and the answer names the skipped one)…
  const asked: string[] = [];
  const admitMember = (member: string) => {
    asked.push(member);
    return asked.length === 1 ? overLimit(member) : undefined;
  };
  const skipped = await runtime.invoke("g", "echo", {}, { correlationId: "c6", admitMember });
  expect(asked).toHaveLength(2);
  expect(skipped).toMatchObject({ status: "result", result: { _meta: { "mcp-hangar/member": asked[1], "mcp-hangar/rate_limited": [asked[0]] } } });
  // …every member over its limit: one -32029, and the group announces the refusal.
  const refused = await runtime.invoke("g", "echo", {}, { correlationId: "c7", admitMember: overLimit });
  expect(refused).toMatchObject({ status: "rpc_error", code: -32029 });
}

/** An event without what differs from run to run (times, pids). */
function comparable(event: StampedDomainEvent): unknown {
  const { timestamp: _timestamp, seq: _seq, durationMs: _duration, pid: _pid, ...rest } = event as StampedDomainEvent & Record<string, unknown>;
  return rest;
}
