import { afterEach, describe, expect, it } from "vitest";
import type { CallOutcome } from "../../src/machines/call.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { callSteps, start, startHangar, stopHangars } from "../helpers/scripted-hangar.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

afterEach(stopHangars);

/**
 * The serving lane (src/runtime/serving-lanes.ts) on a real HangarRuntime: while a provider is
 * READY with its breaker CLOSED, no fault counted and no drain, its direct calls go to the
 * connection without a step of its chart, and the lane counts them. These tests pin what the
 * chart must still see: a failure (and the breaker's verdict), the idle stop, a drain, the
 * counters people read.
 *
 * The connection and the hangar: test/helpers/scripted-hangar.ts.
 */
describe("a provider's serving lane", () => {
  it("takes a READY provider's calls without a step of its chart, counts them live, and folds the counts into the chart when it closes", async () => {
    const { runtime, script, steps, events, chart } = start();
    await runtime.startProvider("p");
    expect(chart().lane).toBe("open");
    const outcomes = await Promise.all(Array.from({ length: 4 }, () => runtime.invoke("p", "echo", {})));
    await runtime.invoke("p", "tool_error", {});
    expect(outcomes.every((outcome) => outcome.status === "result")).toBe(true);
    expect(callSteps(steps)).toEqual([]);
    // What people read counts them at once; the chart has not been told yet.
    expect(runtime.view("p")).toMatchObject({ inFlight: 0, stats: { calls: 5, failures: 0 } });
    expect((await runtime.status())[0]).toMatchObject({ inFlight: 0, stats: { calls: 5 } });
    expect(chart().stats.calls).toBe(0);
    const held = runtime.invoke("p", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    expect(runtime.view("p")?.inFlight).toBe(1);
    script.held.shift()?.();
    await held;
    expect(runtime.view("p")).toMatchObject({ inFlight: 0, stats: { calls: 6 } });
    // Observers hear of each call as they would through the chart: requested, then completed, under the provider's id.
    const announced = events.filter((event) => event.type.startsWith("ToolInvocation"));
    for (const event of announced.filter((one) => one.type === "ToolInvocationCompleted")) {
      const requested = announced.findIndex((one) => one.type === "ToolInvocationRequested" && one.correlationId === event.correlationId);
      expect(requested).toBeGreaterThanOrEqual(0);
      expect(requested).toBeLessThan(announced.indexOf(event));
    }
    for (const type of ["ToolInvocationRequested", "ToolInvocationCompleted"]) {
      expect(announced.filter((event) => event.type === type).map((event) => event.systemId)).toEqual(Array(6).fill("provider:p"));
    }
    expect(announced.find((event) => event.type === "ToolInvocationCompleted" && event.kind === "tool_error")).toBeDefined();
    await runtime.stopProvider("p");
    expect(chart()).toMatchObject({ lane: "closed", laneInFlight: 0, stats: { calls: 6, failures: 0 } });
    expect(runtime.view("p")?.stats.calls).toBe(6);
  });

  it("closes at a provider fault: the breaker counts it, calls go through the chart until a success forgets it, then through the lane again", async () => {
    const { runtime, steps, chart } = start();
    await runtime.startProvider("p");
    await runtime.invoke("p", "echo", {});
    expect(await runtime.invoke("p", "slow", {})).toMatchObject({ status: "failure", kind: "timeout" });
    expect(chart()).toMatchObject({ lane: "closed", breaker: { state: "CLOSED", failures: 1 }, stats: { calls: 2, failures: 1 } });
    // The failure reached the chart (its CALL.DONE), the success before it did not.
    expect(callSteps(steps)).toEqual(["CALL.DONE"]);
    // With a fault counted, the next call is the chart's: it forgets the fault and opens the lane again.
    await runtime.invoke("p", "echo", {});
    expect(callSteps(steps)).toEqual(["CALL.DONE", "INVOKE", "CALL.DONE"]);
    expect(chart()).toMatchObject({ lane: "open", breaker: { failures: 0 }, stats: { calls: 3 } });
    await runtime.invoke("p", "echo", {});
    expect(callSteps(steps)).toEqual(["CALL.DONE", "INVOKE", "CALL.DONE"]);
    expect(runtime.view("p")?.stats.calls).toBe(4);
  });

  it("opens the breaker after failure_threshold faults in a row, as the chart alone would", async () => {
    const { runtime, chart } = start({ circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30, halfOpenMaxCalls: 1 } });
    await runtime.startProvider("p");
    await runtime.invoke("p", "slow", {});
    await runtime.invoke("p", "slow", {});
    expect(chart()).toMatchObject({ state: "DEGRADED", lane: "closed", breaker: { state: "OPEN", failures: 2 } });
    expect(await runtime.invoke("p", "echo", {})).toMatchObject({ status: "failure", kind: "unavailable" });
  });

  it("holds off the idle stop while its call runs, counts its calls as activity, and stops the provider once idle", async () => {
    const { runtime, script, events, chart } = start({ idleTtlS: 0.3 });
    await runtime.startProvider("p");
    const held = runtime.invoke("p", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    // Several idle periods pass with the lane's call running: the provider stays up.
    const readyAt = performance.now();
    await waitFor(() => performance.now() - readyAt > 1_000 && chart().state, 5_000, "a second");
    expect(chart().state).toBe("READY");
    script.held.shift()?.();
    await held;
    // Answered calls keep it up as well (each finished call restarts the idle period)…
    for (let i = 0; i < 5; i++) {
      await runtime.invoke("p", "echo", {});
      expect(chart().state).toBe("READY");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // …and once nothing happens for idle_ttl_s it stops, counting what the lane served.
    await waitFor(() => chart().state === "COLD", 5_000, "the idle stop");
    expect(events.find((event) => event.type === "ProviderStopped")).toMatchObject({ reason: "idle" });
    expect(chart().stats.calls).toBe(6);
  });

  it("makes a drain (a changed spec) wait for the call running in the lane, which is answered, and then the new provider serves", async () => {
    const { runtime, script, chart } = start();
    await runtime.startProvider("p");
    const held = runtime.invoke("p", "hold", {});
    await waitFor(() => script.held.length === 1, 5_000, "the held call at the connection");
    let replaced = false;
    const replacing = runtime.replaceProvider(testSpec({ id: "p", healthCheckIntervalS: 3_600, description: "changed" })).then(() => {
      replaced = true;
    });
    await waitFor(() => chart().drainReply !== undefined, 5_000, "the drain");
    expect(chart()).toMatchObject({ lane: "closed", laneInFlight: 1 });
    // Draining, not done: the call the lane had running is still the provider's.
    await runtime.status();
    expect(replaced).toBe(false);
    script.held.shift()?.();
    expect(await held).toMatchObject({ status: "result", kind: "ok" });
    await replacing;
    expect(runtime.spec("p")?.description).toBe("changed");
    expect(await runtime.invoke("p", "echo", {})).toMatchObject({ status: "result" });
  });
});

describe("a group's calls through its members' lanes", () => {
  const members = () => ["a", "b"].map((id) => testSpec({ id, healthCheckIntervalS: 3_600 }));
  const memberOf = (outcome: CallOutcome) => (outcome.status === "result" ? outcome.result._meta?.["mcp-hangar/member"] : undefined);

  it("serves a READY member's attempts without a step of its chart: the group still picks (round robin) and counts, and the members' counters are live", async () => {
    const { runtime, stepsOf, events, chartOf } = startHangar(members(), [testGroupSpec()]);
    await Promise.all([runtime.startProvider("a"), runtime.startProvider("b")]);
    expect([chartOf("a").lane, chartOf("b").lane]).toEqual(["open", "open"]);
    const outcomes: CallOutcome[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await runtime.invoke("g", "echo", {}));
    expect(outcomes.map(memberOf)).toEqual(["a", "b", "a", "b"]);
    expect(callSteps(stepsOf.a ?? [])).toEqual([]);
    expect(callSteps(stepsOf.b ?? [])).toEqual([]);
    expect([runtime.view("a")?.stats.calls, runtime.view("b")?.stats.calls]).toEqual([2, 2]);
    // Announced under the member that ran each call, requested before completed.
    const completed = events.filter((event) => event.type === "ToolInvocationCompleted").map((event) => event.systemId);
    expect(completed).toEqual(["provider:a", "provider:b", "provider:a", "provider:b"]);
  });

  it("hands a member's fault to its chart (the breaker counts it, the lane closes) and retries the call on the other member", async () => {
    const { runtime, stepsOf, chartOf } = startHangar(members(), [testGroupSpec({ retryOnMemberFailure: "always" })]);
    await Promise.all([runtime.startProvider("a"), runtime.startProvider("b")]);
    const outcome = await runtime.invoke("g", "slow_on_a", {});
    expect(outcome).toMatchObject({ status: "result", kind: "ok" });
    expect(memberOf(outcome)).toBe("b");
    expect(outcome.status === "result" ? outcome.result._meta?.["mcp-hangar/retried"] : undefined).toMatchObject([{ member: "a", kind: "timeout" }]);
    expect(chartOf("a")).toMatchObject({ lane: "closed", breaker: { failures: 1 }, stats: { failures: 1 } });
    expect(callSteps(stepsOf.a ?? [])).toEqual(["CALL.DONE"]);
    expect(callSteps(stepsOf.b ?? [])).toEqual([]);
    // a's next attempt is its chart's (a fault is counted); its success reopens the lane.
    await runtime.invoke("g", "echo", {});
    await runtime.invoke("g", "echo", {});
    expect(callSteps(stepsOf.a ?? [])).toEqual(["CALL.DONE", "INVOKE", "CALL.DONE"]);
    expect(chartOf("a")).toMatchObject({ lane: "open", breaker: { failures: 0 } });
  });

  it("sends an attempt for a member that is not READY to its chart, which starts it", async () => {
    const { runtime, stepsOf, chartOf } = startHangar(members(), [testGroupSpec()]);
    const outcome = await runtime.invoke("g", "echo", {});
    expect(outcome).toMatchObject({ status: "result", kind: "ok" });
    const member = memberOf(outcome) as string;
    expect(callSteps(stepsOf[member] ?? [])).toEqual(["INVOKE", "CALL.DONE"]);
    expect(chartOf(member)).toMatchObject({ state: "READY", lane: "open" });
  });
});
