import { afterEach, describe, expect, it } from "vitest";
import { createActor, fromCallback, SimulatedClock, waitFor, type Actor } from "xstate";
import { ConnectionOutbox } from "../../src/actors/connection-outbox.js";
import { failure, type CallOutcome, type ToolCall } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { providerMachine, type ProviderInput } from "../../src/machines/provider.js";
import type { DomainEvent } from "../../src/shared/domain-events.js";
import type { FailureKind } from "../../src/shared/failure-kind.js";
import { testSpec } from "../helpers/specs.js";
import { turnEnds } from "../helpers/wait.js";

/**
 * The answered calls of one tick reach the provider chart as one CALLS.DONE (through the
 * connections' ConnectionOutbox). These tests drive the chart through a connection that holds its
 * calls until the test settles them — several in one tick, as one pipe read delivers them — and
 * check the chart ends where the same calls finishing one by one would leave it.
 */
type Verdict = FailureKind;

interface HeldConnection {
  held: ToolCall[];
  /** Settles held calls, in this order, in one tick (like the answers of one pipe read). */
  settle: (verdicts: Verdict[]) => void;
  /** Settles `verdicts` then fails the connection (crash), in the same tick, as StdioSession.fail does. */
  settleThenCrash: (verdicts: Verdict[], message: string) => void;
}

function heldConnection(control: HeldConnection) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    const outbox = new ConnectionOutbox(sendBack);
    const settleOne = (verdict: Verdict): void => {
      const call = control.held.shift();
      if (call === undefined) throw new Error("no call held");
      const outcome: CallOutcome =
        verdict === "ok" || verdict === "tool_error"
          ? { status: "result", kind: verdict, result: { content: [], ...(verdict === "tool_error" ? { isError: true } : {}) } }
          : failure(verdict, `${verdict} in test`);
      outbox.settle({ type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: verdict, durationMs: 1 }, () => {
        call.reply(outcome);
      });
    };
    control.settle = (verdicts) => {
      for (const verdict of verdicts) settleOne(verdict);
    };
    control.settleThenCrash = (verdicts, message) => {
      for (const verdict of verdicts) settleOne(verdict);
      while (control.held.length > 0) settleOne("crash");
      outbox.send({ type: "CONNECTION.FAILED", kind: "crash", message });
    };
    queueMicrotask(() => {
      outbox.send({ type: "CONNECTION.READY", tools: [], pid: 7, serverInfo: undefined, protocolVersion: undefined });
    });
    receive((event) => {
      control.held.push(...callsOf(event));
    });
  });
}

const actors: Actor<typeof providerMachine>[] = [];
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

interface Started {
  actor: Actor<typeof providerMachine>;
  control: HeldConnection;
  events: DomainEvent[];
  /** How many snapshots the actor has produced (one per macrostep that changed anything). */
  steps: () => number;
  outcomes: CallOutcome[];
  call: (count: number) => void;
}

async function startReady(input: ProviderInput, clock?: SimulatedClock): Promise<Started> {
  const control: HeldConnection = { held: [], settle: () => undefined, settleThenCrash: () => undefined };
  const actor = createActor(providerMachine.provide({ actors: { connection: heldConnection(control) } }), {
    input,
    ...(clock ? { clock } : {}),
  });
  const events: DomainEvent[] = [];
  actor.on("*", (event) => events.push(event));
  let snapshots = 0;
  actor.subscribe(() => {
    snapshots += 1;
  });
  actors.push(actor.start());
  actor.send({ type: "START" });
  await waitFor(actor, (snapshot) => snapshot.context.state === "READY", { timeout: 1_000 });
  const outcomes: CallOutcome[] = [];
  let next = 0;
  const call = (count: number): void => {
    for (let i = 0; i < count; i++) {
      next += 1;
      actor.send({
        type: "INVOKE",
        call: { tool: "t", arguments: {}, correlationId: `c${next}`, reply: (outcome) => outcomes.push(outcome) },
      });
    }
  };
  return { actor, control, events, steps: () => snapshots, outcomes, call };
}

const context = (actor: Actor<typeof providerMachine>) => actor.getSnapshot().context;
const quiet = { healthCheckIntervalS: 3_600, idleTtlS: 0 };

describe("provider chart: calls answered in one tick", () => {
  it("takes them in one step, after their answers: counted, announced one by one in order", async () => {
    const { actor, control, events, steps, outcomes, call } = await startReady({ spec: testSpec(quiet) });
    call(5);
    expect(context(actor).inFlight).toBe(5);
    const before = steps();
    control.settle(["ok", "tool_error", "ok", "ok", "ok"]);
    // Every client has its answer at once; the provider's bookkeeping follows in the same tick.
    expect(outcomes).toHaveLength(5);
    expect(context(actor).stats.calls).toBe(0);
    await Promise.resolve();
    expect(steps() - before).toBe(1);
    expect(context(actor)).toMatchObject({ inFlight: 0, stats: { calls: 5, failures: 0 } });
    const completed = events.filter((event) => event.type === "ToolInvocationCompleted");
    expect(completed.map((event) => event.correlationId)).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    expect(completed.map((event) => event.kind)).toEqual(["ok", "tool_error", "ok", "ok", "ok"]);
  });

  it("code awaiting an answered call sees it counted", async () => {
    const { actor, control } = await startReady({ spec: testSpec(quiet) });
    const answers = Array.from(
      { length: 3 },
      (_, i) =>
        new Promise<CallOutcome>((resolve) => {
          actor.send({ type: "INVOKE", call: { tool: "t", arguments: {}, correlationId: `a${i}`, reply: resolve } });
        }),
    );
    // Awaiting before the answers come, as a front end does.
    const seen = answers.map((answer) => answer.then(() => context(actor).stats.calls));
    control.settle(["ok", "ok", "ok"]);
    expect(await Promise.all(seen)).toEqual([3, 3, 3]);
  });

  it("ends a drain on the last call of a batch, after counting and announcing every one", async () => {
    const { actor, control, events, call } = await startReady({ spec: testSpec(quiet) });
    call(4);
    let drained = false;
    actor.send({ type: "DRAIN", reply: () => (drained = true) });
    control.settle(["ok", "ok"]);
    await turnEnds();
    expect(drained).toBe(false);
    expect(context(actor)).toMatchObject({ state: "READY", inFlight: 2 });

    control.settle(["ok", "tool_error"]);
    await turnEnds();
    expect(drained).toBe(true);
    expect(context(actor)).toMatchObject({ state: "COLD", inFlight: 0, stats: { calls: 4 } });
    const order = events.filter((event) => event.type === "ToolInvocationCompleted" || event.type === "ProviderStopped");
    expect(order.map((event) => event.type)).toEqual([...Array<string>(4).fill("ToolInvocationCompleted"), "ProviderStopped"]);
    expect(order.at(-1)).toMatchObject({ reason: "config" });
  });

  it("lets the breaker judge each failure of a tick in the order they came", async () => {
    const spec = testSpec({ ...quiet, circuitBreaker: { failureThreshold: 3, resetTimeoutS: 60, halfOpenMaxCalls: 1 } });
    const { actor, control, call } = await startReady({ spec });
    // A success between failures resets the count, as it would one call at a time.
    call(4);
    control.settle(["timeout", "ok", "timeout", "timeout"]);
    await turnEnds();
    expect(context(actor).breaker).toMatchObject({ state: "CLOSED", failures: 2 });
    expect(context(actor).stats).toMatchObject({ calls: 4, failures: 3 });

    // Three faults in a row open it, answered successes around them or not.
    call(5);
    control.settle(["ok", "timeout", "transport", "timeout", "ok"]);
    await turnEnds();
    expect(context(actor).breaker.state).toBe("OPEN");
    expect(context(actor)).toMatchObject({ state: "DEGRADED", inFlight: 0, stats: { calls: 9, failures: 6 } });
  });

  it("forgets the breaker's faults once for a batch of answers, and closes HALF_OPEN on a batch of trials", async () => {
    const spec = testSpec({ ...quiet, circuitBreaker: { failureThreshold: 3, resetTimeoutS: 60, halfOpenMaxCalls: 2 } });
    const clock = new SimulatedClock();
    const { actor, control, events, call } = await startReady({ spec }, clock);
    call(2);
    control.settle(["timeout", "timeout"]);
    await turnEnds();
    expect(context(actor).breaker).toMatchObject({ state: "CLOSED", failures: 2 });
    call(3);
    control.settle(["ok", "ok", "ok"]);
    await turnEnds();
    expect(context(actor).breaker).toMatchObject({ state: "CLOSED", failures: 0 });

    call(3);
    control.settle(["timeout", "timeout", "timeout"]);
    await turnEnds();
    expect(context(actor).breaker.state).toBe("OPEN");
    clock.increment(60_000);
    expect(context(actor).breaker.state).toBe("HALF_OPEN");
    call(2);
    expect(context(actor).breaker.trialsAdmitted).toBe(2);
    control.settle(["ok", "ok"]);
    await turnEnds();
    expect(context(actor).breaker).toMatchObject({ state: "CLOSED", failures: 0, trialsAdmitted: 0 });
    expect(context(actor).state).toBe("READY");
    expect(events.filter((event) => event.type === "CircuitClosed")).toHaveLength(1);
  });

  it("keeps the idle stop's timing: a batch finished meanwhile re-arms it, calls in flight hold it off", async () => {
    const clock = new SimulatedClock();
    const { actor, control, call } = await startReady({ spec: testSpec({ healthCheckIntervalS: 3_600, idleTtlS: 10 }) }, clock);
    call(3);
    clock.increment(5_000);
    control.settle(["ok", "ok"]);
    await turnEnds();
    expect(context(actor)).toMatchObject({ inFlight: 1, stats: { calls: 2 } });
    // The check due 10 s after READY finds a call still in flight: it re-arms for a full period.
    clock.increment(5_000);
    expect(context(actor).state).toBe("READY");
    control.settle(["ok"]);
    await turnEnds();
    clock.increment(9_000);
    expect(context(actor).state).toBe("READY");
    // The next check finds calls finished since it was armed: it re-arms for 10 s after the last one.
    clock.increment(1_000);
    expect(context(actor).state).toBe("READY");
    clock.increment(10_500);
    expect(context(actor).state).toBe("COLD");
    expect(context(actor).stats.calls).toBe(3);
  });

  it("counts a batch answered in the tick the connection crashed, before the crash, and judges the crash once", async () => {
    const spec = testSpec({ ...quiet, circuitBreaker: { failureThreshold: 5, resetTimeoutS: 60, halfOpenMaxCalls: 1 } });
    const { actor, control, events, outcomes, call } = await startReady({ spec });
    call(4);
    control.settleThenCrash(["ok", "ok"], "exit 3");
    await turnEnds();
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(["ok", "ok", "crash", "crash"]);
    expect(context(actor)).toMatchObject({ state: "RECOVERING", inFlight: 0, stats: { calls: 4, failures: 2 } });
    expect(context(actor).breaker).toMatchObject({ state: "CLOSED", failures: 1 });
    const order = events
      .filter((event) => ["ToolInvocationCompleted", "ToolInvocationFailed", "ProviderStopped"].includes(event.type))
      .map((event) => event.type);
    expect(order).toEqual(["ToolInvocationCompleted", "ToolInvocationCompleted", "ToolInvocationFailed", "ToolInvocationFailed", "ProviderStopped"]);
  });
});
