import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { transition, type SnapshotFrom } from "xstate";
import type { ToolCall } from "../../src/machines/call.js";
import { providerMachine, type ProviderEvent } from "../../src/machines/provider.js";
import { walkModel } from "../helpers/model-walk.js";
import { testSpec } from "../helpers/specs.js";

type ProviderSnapshot = SnapshotFrom<typeof providerMachine>;

const call: ToolCall = { tool: "add", arguments: { a: 1, b: 2 }, correlationId: "c1", reply: () => undefined };
const liveTools: Tool[] = [{ name: "add", inputSchema: { type: "object" } }];

/** Every event the chart knows, internal ones (delays, the probe actor's result) named as the walk must send them. */
const events = [
  { type: "INVOKE", call },
  // Two calls made in one tick (the runtime gathers them, see TickInvokes).
  { type: "INVOKE.BATCH", calls: [call, { ...call, correlationId: "c2" }] },
  { type: "START" },
  { type: "STOP", reason: "manual" },
  { type: "GIVE_UP", message: "restart budget spent" },
  { type: "DRAIN", reply: () => undefined },
  { type: "DRAIN.DEADLINE" },
  { type: "RECOVERY.SCHEDULED", at: 0 },
  { type: "HEALTH.FAILED", message: "ping failed" },
  { type: "HEALTH.PASSED" },
  { type: "CONNECTION.READY", tools: liveTools, pid: 4242, serverInfo: { name: "t", version: "1" }, protocolVersion: "2025-11-25" },
  // READY before the provider's own list, its predefined tools standing in (the spec has some).
  { type: "CONNECTION.READY", tools: undefined, pid: 4243, serverInfo: { name: "t", version: "1" }, protocolVersion: "2025-11-25" },
  { type: "CONNECTION.TOOLS_CHANGED", tools: liveTools },
  { type: "CONNECTION.FAILED", kind: "start_failed", message: "exit 1" },
  { type: "CONNECTION.FAILED", kind: "crash", message: "exit 3" },
  { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "ok", durationMs: 1 },
  { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "timeout", durationMs: 1 },
  { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "cancelled", durationMs: 1 },
  // Two calls answered in one tick (the connection's outbox sends them as one event).
  {
    type: "CALLS.DONE",
    calls: [
      { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "ok", durationMs: 1 },
      { type: "CALL.DONE", correlationId: "c2", tool: "add", kind: "tool_error", durationMs: 1 },
    ],
  },
  // Calls that went out on the serving lane: a failure the lane left to the chart while it was open,
  // and calls that outlived a closed lane (see LaneCount).
  { type: "CALL.DONE", correlationId: "l1", tool: "add", kind: "timeout", durationMs: 1, laned: "open" },
  { type: "CALL.DONE", correlationId: "l2", tool: "add", kind: "ok", durationMs: 1, laned: "closed" },
  {
    type: "CALLS.DONE",
    calls: [
      { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "ok", durationMs: 1 },
      { type: "CALL.DONE", correlationId: "l4", tool: "add", kind: "ok", durationMs: 1, laned: "closed" },
    ],
  },
  // What a runtime's lane answers (the chart's own defaults answer with nothing counted, within the step).
  { type: "LANE.CLOSED", inFlight: 1, finished: 2, lastCallAt: 5 },
  { type: "LANE.ACTIVITY", inFlight: 1, finished: 1, lastCallAt: 5 },
  { type: "xstate.after.startupTimeout.provider.lifecycle.running.INITIALIZING" },
  { type: "IDLE.CHECK" },
  { type: "PROBE.DUE" },
  { type: "xstate.done.actor.healthProbe", output: { ok: true, method: "ping", durationMs: 1 } },
  { type: "xstate.done.actor.healthProbe", output: { ok: false, message: "no pong" } },
  { type: "xstate.after.breakerReset.provider.breaker.OPEN" },
] as const satisfies readonly (ProviderEvent | { type: `xstate.${string}`; output?: unknown })[];

/** Events that may stop a running provider for being done (a drain, an idle stop), tried from every state reached. */
const stopProbes = [
  { type: "DRAIN", reply: () => undefined },
  { type: "IDLE.CHECK" },
  { type: "LANE.ACTIVITY", inFlight: 0, finished: 0, lastCallAt: undefined },
  { type: "LANE.ACTIVITY", inFlight: 1, finished: 0, lastCallAt: undefined },
] as const satisfies readonly ProviderEvent[];

type Lifecycle = "COLD" | "INITIALIZING" | "READY" | "DEGRADED" | "RECOVERING" | "DEAD";

function lifecycleOf(snapshot: ProviderSnapshot): Lifecycle {
  if (snapshot.matches({ lifecycle: { running: "INITIALIZING" } })) return "INITIALIZING";
  if (snapshot.matches({ lifecycle: { running: { serving: "READY" } } })) return "READY";
  if (snapshot.matches({ lifecycle: { running: { serving: "DEGRADED" } } })) return "DEGRADED";
  for (const name of ["COLD", "RECOVERING", "DEAD"] as const) if (snapshot.matches({ lifecycle: name })) return name;
  throw new Error(`unexpected lifecycle ${JSON.stringify(snapshot.value)}`);
}

function breakerOf(snapshot: ProviderSnapshot): string {
  for (const name of ["CLOSED", "OPEN", "HALF_OPEN"] as const) if (snapshot.matches({ breaker: name })) return name;
  throw new Error(`unexpected breaker ${JSON.stringify(snapshot.value)}`);
}

/** Counters beyond their thresholds add no new behaviour; capping them keeps the walk finite. */
function serialize(snapshot: ProviderSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify({
    value: snapshot.value,
    inFlight: Math.min(context.inFlight, 2),
    lane: context.lane,
    laneInFlight: Math.min(context.laneInFlight, 1),
    queued: Math.min(context.queue.length, 1),
    live: context.liveTools !== undefined,
    faults: context.breaker.failures,
    trials: context.breaker.trialsAdmitted,
    probeFailures: Math.min(context.health.consecutiveFailures, spec.maxConsecutiveFailures),
    probeSuccesses: Math.min(context.health.consecutiveSuccesses, spec.healthyThreshold),
    probing: context.health.probing,
    restarting: context.recovery.restarting,
    idleArmed: context.stats.calls === context.idleArmedAtCalls,
    draining: context.drainReply !== undefined,
  });
}

/** Small thresholds, so every breaker and health state is a few events away. */
const spec = testSpec({
  tools: [{ name: "add", inputSchema: { type: "object" } }],
  maxConsecutiveFailures: 2,
  circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30, halfOpenMaxCalls: 1 },
});

describe("provider chart (model-based, real machine)", () => {
  it("keeps its invariants on every shortest path", () => {
    /** The states the stop probes were tried from (once each: the walk passes through many states again and again). */
    const probed = new Set<string>();
    const report = walkModel<ProviderSnapshot>(providerMachine, {
      events: [...events],
      input: { spec },
      serializeState: serialize,
      invariant: (snapshot, { path, event, previous }) => {
        const where = `after ${path.join(" → ")}`;
        const { context } = snapshot;
        const lifecycle = lifecycleOf(snapshot);
        const breaker = breakerOf(snapshot);
        const running = snapshot.matches({ lifecycle: "running" });
        // What observers read is what the chart is in.
        expect(context.state, where).toBe(lifecycle);
        expect(context.breaker.state, where).toBe(breaker);
        // Process lifetime = actor lifetime: only `running` owns a connection (COLD, RECOVERING and DEAD own no process).
        expect(snapshot.children.connection !== undefined, where).toBe(running);
        // A probe runs only while serving, and only one at a time (its actor exists exactly while the chart says one is under way).
        const serving = snapshot.matches({ lifecycle: { running: "serving" } });
        if (snapshot.children.healthProbe !== undefined) expect(serving, where).toBe(true);
        if (serving) expect(snapshot.children.healthProbe !== undefined, where).toBe(context.health.probing);
        if (!running) {
          expect(context.pid, where).toBeUndefined();
          expect(context.inFlight, where).toBe(0);
          expect(context.laneInFlight, where).toBe(0);
        }
        // The serving lane is open exactly while the provider serves with nothing for the chart to
        // judge: READY, breaker CLOSED with no fault counted, no drain. Every way out of that closes
        // it, and every way back in opens it. (Closing lasts only until the lane's answer, which the
        // chart's own default gives within the step.)
        const laneMayOpen = lifecycle === "READY" && breaker === "CLOSED" && context.breaker.failures === 0 && context.drainReply === undefined;
        expect(context.lane, where).toBe(laneMayOpen ? "open" : "closed");
        // A drain ends with its last call: a running provider that drains always has a call to finish,
        // its own or one that outlived the lane.
        if (context.drainReply !== undefined) {
          expect(running && context.inFlight + context.laneInFlight + context.queue.length > 0, where).toBe(true);
        }
        // A drain, and an idle stop, never cut a call. Checked by trying each from every state the
        // walk reaches (the walk itself keeps only the shortest path to each state, so an edge into
        // a state reached before is not a step it checks): no stop while anything is in flight —
        // the chart's own calls, calls that outlived the lane, queued calls, or calls the lane says it has.
        const key = serialize(snapshot);
        if (running && !probed.has(key)) {
          probed.add(key);
          const busy = context.inFlight + context.laneInFlight + context.queue.length;
          for (const probe of stopProbes) {
            const [after] = transition(providerMachine, snapshot, probe);
            if (after.matches({ lifecycle: "running" })) continue;
            expect(busy + ("inFlight" in probe ? probe.inFlight : 0), `${where} → ${probe.type}`).toBe(0);
          }
        }
        // Calls wait only while the provider is starting.
        if (lifecycle !== "INITIALIZING") expect(context.queue, where).toHaveLength(0);
        if (lifecycle === "INITIALIZING") expect(context.inFlight, where).toBe(0);
        // A serving provider knows its tools: its live list, or its predefined ones until that list comes.
        if (lifecycle === "READY" || lifecycle === "DEGRADED") expect(context.liveTools !== undefined || context.spec.tools.length > 0, where).toBe(true);
        // A READY that brings no list keeps the list known before (a restart does not forget it).
        if (event.type === "CONNECTION.READY" && (event as { tools?: unknown }).tools === undefined && previous) {
          expect(context.liveTools, where).toBe(previous.context.liveTools);
        }
        // READY means probes pass and the breaker is CLOSED; anything else while serving is DEGRADED.
        if (lifecycle === "READY") expect(breaker, where).toBe("CLOSED");
        if (lifecycle === "READY") expect(context.health.consecutiveFailures, where).toBeLessThan(spec.maxConsecutiveFailures);
        // OPEN never forwards a call: an INVOKE while OPEN changes neither the queue nor the calls in flight.
        if (event.type === "INVOKE" && previous && breakerOf(previous) === "OPEN") {
          expect(context.queue.length, where).toBe(previous.context.queue.length);
          expect(context.inFlight, where).toBe(previous.context.inFlight);
          expect(lifecycleOf(previous) === "COLD" ? lifecycle : "COLD", where).toBe("COLD");
        }
        // HALF_OPEN never lets more trial calls through than half_open_max_calls.
        expect(context.breaker.trialsAdmitted, where).toBeLessThanOrEqual(spec.circuitBreaker.halfOpenMaxCalls);
        // A trial slot is held only by a call the provider still holds (in flight or queued): a
        // stop that cuts the trial frees it, or HALF_OPEN would refuse every call for ever.
        expect(context.breaker.trialsAdmitted, where).toBeLessThanOrEqual(context.inFlight + context.queue.length);
        expect(context.breaker.failures, where).toBeLessThanOrEqual(spec.circuitBreaker.failureThreshold);
        // Calls made, or answered, in one tick end where the same calls one by one would.
        if ((event.type === "CALLS.DONE" || event.type === "INVOKE.BATCH") && previous) {
          const batch = event as Extract<ProviderEvent, { type: "CALLS.DONE" | "INVOKE.BATCH" }>;
          const single: ProviderEvent[] =
            batch.type === "CALLS.DONE" ? batch.calls : batch.calls.map((one) => ({ type: "INVOKE", call: one }));
          // Both from the same snapshot (the walk's snapshots stand for every context it serializes alike).
          const [batched] = transition(providerMachine, previous, batch);
          let oneByOne = previous;
          for (const one of single) [oneByOne] = transition(providerMachine, oneByOne, one);
          expect(serialize(batched), where).toBe(serialize(oneByOne));
          for (const key of ["inFlight", "laneInFlight", "lane", "queue", "breaker", "state", "drainReply"] as const) {
            expect(batched.context[key], `${where}: ${key}`).toEqual(oneByOne.context[key]);
          }
          const { calls, failures, starts } = oneByOne.context.stats;
          expect(batched.context.stats, where).toMatchObject({ calls, failures, starts });
        }
      },
    });
    const reached = [...report.valuesReached].join(" ");
    for (const state of ["COLD", "INITIALIZING", "READY", "DEGRADED", "RECOVERING", "DEAD", "CLOSED", "OPEN", "HALF_OPEN"]) {
      expect(reached).toContain(state);
    }
    expect(report.statesChecked).toBeGreaterThan(100);
    // ≈ 2,700 states, each tried with every event: 8–20 s, more on a loaded machine.
  }, 120_000);

  it("keeps its invariants on every simple path from COLD to READY (bounded)", () => {
    // Simple paths explode combinatorially on the full chart; bounding the events to the start-up
    // and failure ones still walks every non-repeating way a provider can come up or fail to.
    const startup = events.filter(
      (event) =>
        ["INVOKE", "CONNECTION.READY", "STOP"].includes(event.type) ||
        (event.type === "CONNECTION.FAILED" && event.kind === "start_failed"),
    );
    const report = walkModel<ProviderSnapshot>(providerMachine, {
      strategy: "simple",
      events: [...startup],
      input: { spec },
      serializeState: serialize,
      limit: 50_000,
      invariant: (snapshot, { path }) => {
        const where = `after ${path.join(" → ")}`;
        const running = snapshot.matches({ lifecycle: "running" });
        expect(snapshot.children.connection !== undefined, where).toBe(running);
        if (!running) expect(snapshot.context.inFlight, where).toBe(0);
        if (lifecycleOf(snapshot) !== "INITIALIZING") expect(snapshot.context.queue, where).toHaveLength(0);
      },
    });
    expect(report.paths).toBeGreaterThan(10);
  });

  it("describes every transition (the chart explains itself in the inspector)", () => {
    const missing: string[] = [];
    const visit = (node: (typeof providerMachine)["root"]): void => {
      for (const transitions of node.transitions.values()) {
        for (const transition of transitions) {
          if (!transition.description) missing.push(`${node.id} on ${transition.eventType}`);
        }
      }
      for (const transition of node.always ?? []) {
        if (!transition.description) missing.push(`${node.id} always`);
      }
      for (const child of Object.values(node.states)) visit(child);
    };
    visit(providerMachine.root);
    expect(missing).toEqual([]);
  });
});
