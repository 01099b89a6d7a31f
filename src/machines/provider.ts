import {
  and,
  assertEvent,
  assign,
  emit,
  enqueueActions,
  fromCallback,
  fromPromise,
  not,
  raise,
  setup,
  stateIn,
  stopChild,
  type AnyActorRef,
} from "xstate";
import type { DomainEvent, ProviderStateName } from "../shared/domain-events.js";
import { isProviderFault } from "../shared/failure-kind.js";
import { failure, type LaneCount, type ToolCall } from "./call.js";
import { completedEvent, requestedEvent } from "./call-events.js";
import type { ConnectionCallEvent, ConnectionInput, ProbeResult } from "./connection-protocol.js";
import { describeStop, transitionReason } from "./provider-reasons.js";
import { SUPERVISOR_SYSTEM_ID } from "./supervisor-id.js";
import {
  initialProviderContext,
  type ProviderContext,
  type ProviderCrashedEvent,
  type ProviderEvent,
  type ProviderInput,
  statsWithLane,
} from "./provider-types.js";
import { ATTACH_OBSERVER } from "./observer-attach.js";

export * from "./provider-types.js";
export { SUPERVISOR_SYSTEM_ID };

/**
 * The provider chart. Two parallel regions:
 *
 * - `lifecycle`: COLD → INITIALIZING → READY ⇄ DEGRADED, RECOVERING after a crash, DEAD when
 *   the supervisor gives up. The `connection` actor (injected with `machine.provide`) is invoked
 *   on `running`, which covers INITIALIZING, READY and DEGRADED — so leaving `running` stops the
 *   connection, and the connection's cleanup kills the process group. COLD, RECOVERING and DEAD
 *   own nothing. `serving` (READY ⇄ DEGRADED) owns two timers, each a delayed event the chart
 *   raises to itself: PROBE.DUE (the health probe loop) and IDLE.CHECK (the idle stop).
 * - `breaker`: CLOSED → OPEN → HALF_OPEN. The lifecycle judges each outcome and raises
 *   BREAKER.FAULT or BREAKER.SUCCESS; routing reads the breaker (OPEN forwards nothing).
 *
 * A call the chart sees costs it two steps (INVOKE and CALL.DONE; the calls made in one tick share
 * one INVOKE.BATCH, see TickInvokes, and those answered in one tick one CALLS.DONE, see
 * ConnectionOutbox). While the provider serves with nothing for the chart to judge — READY, breaker
 * CLOSED with no fault counted, no drain — the chart opens a *serving lane* (injected by the runtime,
 * src/runtime/serving-lanes.ts): direct calls go to the connection without a step, and the lane
 * counts them. The chart stays the authority on whether calls may flow so: it closes the lane on
 * every way out of that condition (the first failure the lane sees comes here as a CALL.DONE, and
 * a fault closes it), and the lane's counts come back when it closes (LANE.CLOSED) and when the
 * idle check asks (LANE.ACTIVITY). xstate's cost per step
 * grows with the states active at once (it walks them to pick transitions, to look for
 * eventless ones, and to rebuild the state value of every new snapshot). So the timers are
 * events rather than regions of their own, and nothing is checked "always": each condition
 * is a guard on the events that can make it true.
 */

/**
 * The lane's two injected actions, referred to by name from the chart's own actions so the runtime
 * can provide them. setup() types its actions from their implementations, so inside them no
 * reference to another of them type-checks: `never` stands in for the name's type.
 */
const OPEN_LANE = { type: "openLane" } as never;
const CLOSE_LANE = { type: "closeLane" } as never;

/** Longest delay setTimeout accepts; larger values fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const STDERR_TAIL_LINES = 20;
const DRAIN_DEADLINE_ID = "drainDeadline";
const IDLE_CHECK_ID = "idleCheck";
const PROBE_DUE_ID = "probeDue";
const HEALTH_PROBE_ID = "healthProbe";
/** What xstate sends the chart when its health probe actor resolves. */
const HEALTH_PROBE_DONE = `xstate.done.actor.${HEALTH_PROBE_ID}` as const;

export interface HealthProbeInput {
  /** The provider actor; the probe sends it PROBE.REQUEST and the provider asks its connection. */
  provider: { send: (event: ProbeRequestEvent) => void };
  timeoutMs: number;
}

export type ProbeRequestEvent = { type: "PROBE.REQUEST"; timeoutMs: number; reply: (result: ProbeResult) => void };

function stderrTail(context: ProviderContext): string[] {
  return context.stderr.tail(STDERR_TAIL_LINES);
}

/** A call refused without reaching the provider (breaker, RECOVERING, DEAD): a failed call like any other to observers. */
function refused(context: ProviderContext, call: ToolCall, message: string): DomainEvent {
  return {
    type: "ToolInvocationFailed",
    providerId: context.spec.id,
    tool: call.tool,
    correlationId: call.correlationId,
    principal: call.principal,
    kind: "unavailable",
    message,
    stage: "refused",
  };
}

/** A call handed to the connection, as observers hear of it. */
function callRequested(context: ProviderContext, call: ToolCall): DomainEvent {
  return requestedEvent(context.spec.id, call);
}

/**
 * Hands calls to the connection now, in the middle of the step, where xstate's `sendTo` would
 * deliver them only once the step is over (its sends wait until the new snapshot is built and
 * stored). The connection writes a call to the provider as soon as it gets it, and every
 * microsecond before that write is on the call's critical path, while what follows it overlaps
 * with the provider's work: so the write goes out before the step's assign (a new snapshot and
 * state value), its entry checks and its eventless-transition search. Nothing the connection does
 * with a call needs the provider's new snapshot: what it sends back (CALL.DONE, even at once)
 * waits in the provider's mailbox until this step is done, as before.
 */
function handToConnection(self: AnyActorRef, calls: readonly ToolCall[]): void {
  const connection = (self.getSnapshot() as { children: Record<string, AnyActorRef | undefined> }).children.connection;
  // Only serving states hand calls over, and `running` owns the connection all the while.
  if (connection === undefined) throw new Error("the provider has no connection to send a call to");
  // A tick's calls go as one event: the connection takes each as its own CALL, in order.
  const event: ConnectionCallEvent = calls.length === 1 ? { type: "CALL", call: calls[0] as ToolCall } : { type: "CALLS", calls };
  connection.send(event);
}

/** A call the provider answered (ok or tool_error), as observers hear of it. */
function callCompleted(context: ProviderContext, event: Extract<ProviderEvent, { type: "CALL.DONE" }>): DomainEvent {
  return completedEvent(context.spec.id, event);
}

/**
 * Of the calls this CALL.DONE (or CALLS.DONE) finishes, how many the chart counted in flight
 * (`inFlight`) and how many a closed lane left it (`laneInFlight`). A call finished while its lane
 * was still open was already taken off the lane's own count: it counts in neither.
 */
function finishedCounts(event: ProviderEvent): { chart: number; lane: number } {
  if (event.type === "CALL.DONE") return countOne(event.laned, { chart: 0, lane: 0 });
  if (event.type !== "CALLS.DONE") return { chart: 0, lane: 0 };
  const counts = { chart: 0, lane: 0 };
  for (const done of event.calls) countOne(done.laned, counts);
  return counts;
}

function countOne(laned: LaneCount | undefined, counts: { chart: number; lane: number }): { chart: number; lane: number } {
  if (laned === undefined) counts.chart += 1;
  else if (laned === "closed") counts.lane += 1;
  return counts;
}

/** Whether the provider may serve through its lane: READY, the breaker CLOSED with no fault counted, no drain. */
function laneMayOpen(context: ProviderContext): boolean {
  return (
    context.state === "READY" &&
    context.breaker.state === "CLOSED" &&
    context.breaker.failures === 0 &&
    context.drainReply === undefined
  );
}

/**
 * What the chart itself knows of idleness: idle stop is on, none of its calls (nor any that
 * outlived a lane) is running, and none finished since the idle timer was armed.
 */
function quietSinceArmed(context: ProviderContext): boolean {
  return (
    context.spec.idleTtlS > 0 &&
    context.inFlight === 0 &&
    context.laneInFlight === 0 &&
    context.stats.calls === context.idleArmedAtCalls
  );
}

/** Whether a success means something to the breaker: it is not CLOSED, or it counts faults to forget. */
function breakerHasFaults(context: ProviderContext): boolean {
  return context.breaker.state !== "CLOSED" || context.breaker.failures > 0;
}

/** ok and tool_error: the provider answered (a tool's own error is no fault of the provider). */
function succeeded<K extends string>(kind: K): kind is Extract<K, "ok" | "tool_error"> {
  return kind === "ok" || kind === "tool_error";
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

/** Timers in seconds from config, clamped so setTimeout never fires early on overflow. */
function timer(seconds: number): number {
  return Math.min(Math.max(0, seconds * 1000), MAX_TIMER_MS);
}

function breakerRetryAt(context: ProviderContext): number {
  return (context.breaker.openedAt ?? Date.now()) + context.spec.circuitBreaker.resetTimeoutS * 1000;
}

/** How READY and DEGRADED serve calls; only health moves between them. */
const serveInvoke = [
  { guard: "breakerRejects", actions: "rejectByBreaker", description: "Breaker OPEN (or no trial slot left): refuse at once." },
  {
    // Built-in actions, not one enqueueActions: on the hot path that wrapper cost more than they do.
    // The call goes first: it reaches the provider while this step still counts and announces it.
    actions: ["sendCallToConnection", "countCallInFlight", "announceCall"],
    description: "Send the call to the connection.",
  },
] as const;

/**
 * How READY and DEGRADED take the calls of one tick: with the breaker CLOSED all go to the
 * connection in one step; otherwise (OPEN, or HALF_OPEN counting trial slots) the chart's root
 * takes them one by one.
 */
const serveInvokeBatch = [
  { guard: "breakerClosed", actions: "sendCallsToConnection", description: "Breaker CLOSED: every call goes to the connection." },
] as const;

/** Leaving `running` on a failure: to the recovery saga, or back to COLD (the first that applies). */
function leaveRunning(toRecovery: string, toCold: string) {
  return [
    { guard: "needsRecovery", target: "#provider.lifecycle.RECOVERING", actions: ["failPending", "recordStop"], description: toRecovery },
    { target: "#provider.lifecycle.COLD", actions: ["failPending", "recordStop"], description: toCold },
  ] as const;
}

const queueInvoke = [
  { guard: "breakerRejects", actions: "rejectByBreaker", description: "Breaker OPEN (or no trial slot left): refuse at once." },
  { actions: "enqueueCall", description: "Single flight: join the start already under way." },
] as const;

export const providerMachine = setup({
  types: {
    context: {} as ProviderContext,
    events: {} as ProviderEvent,
    input: {} as ProviderInput,
    emitted: {} as DomainEvent,
  },
  actors: {
    // Placeholders: the real connection (subprocess, container, remote) and probe are provided at start-up.
    connection: fromCallback<ConnectionCallEvent, ConnectionInput>(() => undefined),
    healthProbe: fromPromise<ProbeResult, HealthProbeInput>(() =>
      Promise.resolve({ ok: false, message: "no health probe provided" } as const),
    ),
  },
  delays: {
    startupTimeout: ({ context }) => timer(context.spec.startupTimeoutS),
    // Time left until idle_ttl_s after the last finished call (the full period while calls run).
    idleCheck: ({ context, event }) => {
      if (context.spec.idleTtlS <= 0) return MAX_TIMER_MS;
      const ttl = timer(context.spec.idleTtlS);
      if (context.inFlight > 0 || context.laneInFlight > 0) return ttl;
      // The lane said it has calls running (the re-arm after its LANE.ACTIVITY).
      if (event.type === "LANE.ACTIVITY" && event.inFlight > 0) return ttl;
      const since = Math.max(context.readyAt ?? 0, context.stats.lastCallAt ?? 0);
      return Math.min(Math.max(0, since + ttl - Date.now()), MAX_TIMER_MS);
    },
    healthInterval: ({ context }) => timer(context.spec.healthCheckIntervalS),
    // A restored OPEN breaker keeps its original deadline.
    breakerReset: ({ context }) => Math.max(0, Math.min(breakerRetryAt(context) - Date.now(), MAX_TIMER_MS)),
  },
  guards: {
    /** Nothing in flight, and no call finished since the idle timer was armed. */
    idleForFullPeriod: ({ context }) => context.lane === "closed" && quietSinceArmed(context),
    /** The same, for an idle check the lane answered: nothing running or answered there either. */
    idleWithLane: ({ context, event }) =>
      event.type === "LANE.ACTIVITY" &&
      context.lane === "open" &&
      event.inFlight === 0 &&
      event.finished === 0 &&
      quietSinceArmed(context),
    laneOpen: ({ context }) => context.lane === "open",
    restartingAfterCrash: ({ context }) => context.recovery.restarting,
    trialSlotFree: ({ context }) => context.breaker.trialsAdmitted < context.spec.circuitBreaker.halfOpenMaxCalls,
    breakerRejects: ({ context }) =>
      context.breaker.state === "OPEN" ||
      (context.breaker.state === "HALF_OPEN" && context.breaker.trialsAdmitted >= context.spec.circuitBreaker.halfOpenMaxCalls),
    breakerWasOpen: ({ context }) => context.breaker.state === "OPEN",
    breakerWasHalfOpen: ({ context }) => context.breaker.state === "HALF_OPEN",
    reachesFailureThreshold: ({ context }) => context.breaker.failures + 1 >= context.spec.circuitBreaker.failureThreshold,
    probesHealthy: ({ context }) => context.health.consecutiveFailures < context.spec.maxConsecutiveFailures,
    // The breaker region's entries keep context.breaker.state in step (cheaper than stateIn's state-value match).
    breakerClosed: ({ context }) => context.breaker.state === "CLOSED",
    /** No probe under way (PROBE.DUE is only raised after the last one, but an event may come twice). */
    probeIdle: ({ context }) => !context.health.probing,
    probeRunning: ({ context }) => context.health.probing,
    callSucceeded: ({ event }) => event.type === "CALL.DONE" && succeeded(event.kind),
    /** A success the breaker has nothing to learn from (the hot path: no BREAKER.SUCCESS raised). */
    succeededWithNothingToForget: ({ context, event }) =>
      event.type === "CALL.DONE" && succeeded(event.kind) && !breakerHasFaults(context),
    lifecycleTakesCalls: and([not(stateIn({ lifecycle: "RECOVERING" })), not(stateIn({ lifecycle: "DEAD" }))]),
    /**
     * A failure while a restart is under way, or a crash of a serving provider, goes to the
     * recovery saga; a lazy start that fails (or times out) just goes back to COLD.
     */
    /** Draining, and this CALL.DONE (or CALLS.DONE) finishes the last calls in flight (none queued). */
    finishesDrain: ({ context, event }) => {
      if (context.drainReply === undefined || context.lane !== "closed" || context.queue.length > 0) return false;
      const finished = finishedCounts(event);
      return context.inFlight <= finished.chart && context.laneInFlight <= finished.lane;
    },
    /** Draining, and the lane's counts just folded leave nothing in flight (none queued). */
    foldFinishesDrain: ({ context, event }) =>
      event.type === "LANE.CLOSED" &&
      context.drainReply !== undefined &&
      context.lane !== "open" &&
      context.inFlight === 0 &&
      context.laneInFlight + event.inFlight === 0 &&
      context.queue.length === 0,
    /** The breaker is CLOSED with no fault counted: an answered call has nothing to tell it. */
    breakerHasNothingToForget: ({ context }) => !breakerHasFaults(context),
    /** Nothing in flight and nothing queued: a DRAIN now is drained at once. */
    nothingToFinish: ({ context }) =>
      context.lane === "closed" && context.inFlight === 0 && context.laneInFlight === 0 && context.queue.length === 0,
    needsRecovery: ({ context, event }) =>
      context.recovery.restarting || (event.type === "CONNECTION.FAILED" && event.kind !== "start_failed"),
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    // The serving lane's I/O, injected by the runtime (src/runtime/serving-lanes.ts). Without a
    // lane nothing serves outside the chart: a close has nothing to report and an idle check
    // nothing to learn, so both answer at once with nothing counted.
    openLane: enqueueActions(() => undefined),
    closeLane: raise({ type: "LANE.CLOSED", inFlight: 0, finished: 0, lastCallAt: undefined }),
    askLane: raise({ type: "LANE.ACTIVITY", inFlight: 0, finished: 0, lastCallAt: undefined }),
    /** Opens the lane if the provider may serve through it now (see laneMayOpen). */
    openLaneIfClear: enqueueActions(({ context, enqueue }) => {
      if (context.lane === "open" || !laneMayOpen(context)) return;
      enqueue.assign({ lane: "open" });
      enqueue(OPEN_LANE);
    }),
    /** Closes the lane if open: its counts come back as LANE.CLOSED. */
    closeLaneIfOpen: enqueueActions(({ context, enqueue }) => {
      if (context.lane !== "open") return;
      enqueue.assign({ lane: "closing" });
      enqueue(CLOSE_LANE);
    }),
    /** A lane's answer: the calls it answered count in the stats; a closed lane's LANE.CLOSED ends its closing. */
    foldLaneStats: assign(({ context, event }) => {
      assertEvent(event, ["LANE.CLOSED", "LANE.ACTIVITY"]);
      const lane = event.type === "LANE.CLOSED" && context.lane === "closing" ? "closed" : context.lane;
      return { stats: statsWithLane(context.stats, event), lane };
    }),
    /** While running, a closed lane's calls still in flight are the chart's to wait for (a drain, the idle check). */
    foldLaneInFlight: assign({
      laneInFlight: ({ context, event }) => (event.type === "LANE.CLOSED" ? context.laneInFlight + event.inFlight : context.laneInFlight),
    }),
    /** Keeps `context.state` in step and announces the change (re-entering the same state is silent). */
    enterState: enqueueActions(({ context, event, enqueue }, params: { to: ProviderStateName }) => {
      if (context.state === params.to) return;
      enqueue.emit({
        type: "ProviderStateChanged",
        providerId: context.spec.id,
        from: context.state,
        to: params.to,
        reason: transitionReason(event),
      });
      enqueue.assign({ state: params.to });
    }),
    enqueueCall: assign({
      queue: ({ context, event }) => (event.type === "INVOKE" ? [...context.queue, event.call] : context.queue),
    }),
    addStartWaiter: assign({
      startWaiters: ({ context, event }) =>
        event.type === "START" && event.reply ? [...context.startWaiters, event.reply] : context.startWaiters,
    }),
    markStartRequested: assign({ startRequestedAt: () => Date.now() }),
    // Handing a call to the connection (the hot path: no copies beyond the counter).
    countCallInFlight: assign({ inFlight: ({ context }) => context.inFlight + 1 }),
    sendCallToConnection: ({ event, self }) => {
      assertEvent(event, "INVOKE");
      handToConnection(self, [event.call]);
    },
    announceCall: emit(({ context, event }) => {
      assertEvent(event, "INVOKE");
      return callRequested(context, event.call);
    }),
    /** The calls of one tick, sent to the connection (first, see handToConnection), counted in flight and announced in one step. */
    sendCallsToConnection: enqueueActions(({ context, event, self, enqueue }) => {
      if (event.type !== "INVOKE.BATCH") return;
      const calls = event.calls;
      enqueue(() => {
        handToConnection(self, calls);
      });
      for (const call of calls) enqueue.emit(callRequested(context, call));
      enqueue.assign({ inFlight: context.inFlight + calls.length });
    }),
    /** Anywhere but a serving provider with its breaker CLOSED: each call of the tick is taken as its own INVOKE, in order. */
    takeEachInvoke: enqueueActions(({ event, enqueue }) => {
      if (event.type !== "INVOKE.BATCH") return;
      for (const call of event.calls) enqueue.raise({ type: "INVOKE", call });
    }),
    /** On READY: every queued call goes to the connection, every start waiter is answered. */
    flushQueue: enqueueActions(({ context, enqueue }) => {
      for (const call of context.queue) {
        enqueue.sendTo("connection", { type: "CALL", call } satisfies ConnectionCallEvent);
        enqueue.emit(callRequested(context, call));
      }
      const waiters = context.startWaiters;
      enqueue(() => {
        for (const reply of waiters) reply({ ok: true });
      });
      enqueue.assign({ inFlight: context.inFlight + context.queue.length, queue: [], startWaiters: [] });
    }),
    // serving's two timers: delayed events the chart raises to itself (a simulated clock drives them in tests).
    armIdleTimer: assign({ idleArmedAtCalls: ({ context }) => context.stats.calls }),
    scheduleIdleCheck: raise({ type: "IDLE.CHECK" }, { id: IDLE_CHECK_ID, delay: "idleCheck" }),
    scheduleProbe: raise({ type: "PROBE.DUE" }, { id: PROBE_DUE_ID, delay: "healthInterval" }),
    startProbe: enqueueActions(({ context, self, enqueue }) => {
      enqueue.spawnChild("healthProbe", {
        id: HEALTH_PROBE_ID,
        input: {
          provider: self as HealthProbeInput["provider"],
          timeoutMs: timer(Math.min(context.spec.callTimeoutS, context.spec.healthCheckIntervalS)),
        },
      });
      enqueue.assign({ health: { ...context.health, probing: true } });
    }),
    // A finished probe's actor is removed too, so the next PROBE.DUE starts a fresh one under the same id.
    stopProbe: stopChild(HEALTH_PROBE_ID),
    /** Leaving `serving`: its timers and a probe under way go with it. */
    stopServingTimers: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(IDLE_CHECK_ID);
      enqueue.cancel(PROBE_DUE_ID);
      if (!context.health.probing) return;
      enqueue.stopChild(HEALTH_PROBE_ID);
      enqueue.assign({ health: { ...context.health, probing: false } });
    }),
    forwardProbe: enqueueActions(({ event, enqueue }) => {
      if (event.type !== "PROBE.REQUEST") return;
      enqueue.sendTo("connection", { type: "PROBE", timeoutMs: event.timeoutMs, reply: event.reply } satisfies ConnectionCallEvent);
    }),
    rejectByBreaker: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      const retryIn = seconds(breakerRetryAt(context) - Date.now());
      const message =
        context.breaker.state === "OPEN"
          ? `circuit breaker for provider '${context.spec.id}' is OPEN after ${context.spec.circuitBreaker.failureThreshold} failures; it lets a trial call through in ${retryIn}s`
          : `circuit breaker for provider '${context.spec.id}' is HALF_OPEN and its trial call is under way; retry shortly`;
      const call = event.call;
      enqueue(() => {
        call.reply(failure("unavailable", message));
      });
      enqueue.emit(refused(context, call, message));
    }),
    recordReady: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONNECTION.READY") return;
      const now = Date.now();
      // Not listed yet (predefined tools let the calls go first): what was known stands until the list comes.
      const tools = event.tools ?? context.liveTools;
      enqueue.assign({
        liveTools: tools,
        pid: event.pid,
        serverInfo: event.serverInfo,
        protocolVersion: event.protocolVersion,
        readyAt: now,
        lastError: undefined,
        stats: { ...context.stats, starts: context.stats.starts + 1 },
        recovery: { ...context.recovery, restarting: false, nextRestartAt: undefined },
        health: { consecutiveFailures: 0, consecutiveSuccesses: 0, lastProbeAt: undefined, lastProbe: undefined, probing: false },
      });
      enqueue.emit({
        type: "ProviderStarted",
        providerId: context.spec.id,
        pid: event.pid,
        toolCount: (tools ?? context.spec.tools).length,
        durationMs: now - (context.startRequestedAt ?? now),
      });
      if (event.tools !== undefined) enqueue.emit({ type: "ProviderToolsChanged", providerId: context.spec.id, toolCount: event.tools.length });
    }),
    recordToolsChanged: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONNECTION.TOOLS_CHANGED") return;
      enqueue.assign({ liveTools: event.tools });
      enqueue.emit({ type: "ProviderToolsChanged", providerId: context.spec.id, toolCount: event.tools.length });
    }),
    // A finished call (CALL.DONE), or several answered ones (CALLS.DONE): counted, told to the
    // breaker when it means something to it (a crash is judged once, by CONNECTION.FAILED), announced.
    countCallDone: assign(({ context, event }) => {
      assertEvent(event, ["CALL.DONE", "CALLS.DONE"]);
      const finished = event.type === "CALLS.DONE" ? event.calls.length : 1;
      const failed = event.type === "CALL.DONE" && !succeeded(event.kind) && event.kind !== "cancelled" ? 1 : 0;
      // The hot path: the chart's own calls, none from a lane.
      const fromLane = event.type === "CALL.DONE" ? event.laned !== undefined : event.calls.some((done) => done.laned !== undefined);
      const counts = fromLane ? finishedCounts(event) : { chart: finished, lane: 0 };
      return {
        inFlight: Math.max(0, context.inFlight - counts.chart),
        laneInFlight: counts.lane === 0 ? context.laneInFlight : Math.max(0, context.laneInFlight - counts.lane),
        stats: {
          calls: context.stats.calls + finished,
          failures: context.stats.failures + failed,
          starts: context.stats.starts,
          lastCallAt: Date.now(),
        },
      };
    }),
    forgetFaults: raise({ type: "BREAKER.SUCCESS" }),
    announceCallCompleted: emit(({ context, event }) => {
      assertEvent(event, "CALL.DONE");
      return callCompleted(context, event);
    }),
    announceCallsCompleted: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CALLS.DONE") return;
      for (const done of event.calls) enqueue.emit(callCompleted(context, done));
    }),
    /**
     * Any finished call judged in one action: a failure (told to the breaker by kind), or — for a
     * drain's last call — a success. The common success paths pick built-in actions by guard instead.
     */
    judgeCallDone: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CALL.DONE" && event.type !== "CALLS.DONE") return;
      if (event.type === "CALLS.DONE" || succeeded(event.kind)) {
        // Answered calls: the first tells the breaker, the rest would find nothing left to forget.
        if (breakerHasFaults(context)) enqueue.raise({ type: "BREAKER.SUCCESS" });
        for (const done of event.type === "CALLS.DONE" ? event.calls : [event]) enqueue.emit(callCompleted(context, done));
        return;
      }
      if (!isProviderFault(event.kind)) enqueue.raise({ type: "BREAKER.NEUTRAL" });
      else if (event.kind !== "crash") enqueue.raise({ type: "BREAKER.FAULT" });
      enqueue.emit({
        type: "ToolInvocationFailed",
        providerId: context.spec.id,
        tool: event.tool,
        correlationId: event.correlationId,
        principal: event.principal,
        kind: event.kind,
        durationMs: event.durationMs,
      });
    }),
    /** The provider could not be started or went away: queued calls and start waiters learn why. */
    failPending: enqueueActions(({ context, event, enqueue }) => {
      const { kind, message } = describeStop(context, event);
      const tail = stderrTail(context);
      const queue = context.queue;
      const waiters = context.startWaiters;
      enqueue(() => {
        for (const call of queue) call.reply(failure(kind, message, tail));
        for (const reply of waiters) reply({ ok: false, kind, message, stderrTail: tail });
      });
      for (const call of queue) {
        // Calls failed by a stop say nothing of the provider's health (a failed start is judged by recordStop).
        if (!isProviderFault(kind)) enqueue.raise({ type: "BREAKER.NEUTRAL" });
        enqueue.emit({
          type: "ToolInvocationFailed",
          providerId: context.spec.id,
          tool: call.tool,
          correlationId: call.correlationId,
          principal: call.principal,
          kind,
          message,
          stage: "queued",
        });
      }
      enqueue.assign({
        queue: [],
        startWaiters: [],
        stats: { ...context.stats, failures: context.stats.failures + queue.length },
      });
    }),
    recordStop: enqueueActions(({ context, event, enqueue }) => {
      const { kind, message, reason } = describeStop(context, event);
      const isFault = reason === "crash" || reason === "start_failed";
      enqueue.assign({
        inFlight: 0,
        laneInFlight: 0,
        pid: undefined,
        readyAt: undefined,
        lastError: isFault ? { kind, message, at: Date.now() } : context.lastError,
      });
      if (isFault) enqueue.raise({ type: "BREAKER.FAULT" });
      // Calls still in flight are cut without a verdict (their connection goes with this state,
      // so no CALL.DONE follows): a trial among them must not hold its slot for ever.
      else if (context.breaker.trialsAdmitted > 0) enqueue.raise({ type: "BREAKER.TRIALS_ABANDONED" });
      enqueue.emit({ type: "ProviderStopped", providerId: context.spec.id, reason, message, ...(isFault ? { kind } : {}) });
      if (event.type === "STOP" && event.reply) {
        const reply = event.reply;
        enqueue(() => {
          reply();
        });
      }
      // Every way out of `running` ends a drain (finished, deadline, crash, give-up).
      const drainReply = context.drainReply;
      if (drainReply !== undefined) {
        enqueue.cancel(DRAIN_DEADLINE_ID);
        enqueue.assign({ drainReply: undefined });
        enqueue(() => {
          drainReply();
        });
      }
    }),
    beginDrain: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "DRAIN") return;
      const previous = context.drainReply;
      const reply = event.reply;
      // A function-valued assign property would be called as an assigner: wrap the reply.
      const combined =
        previous === undefined
          ? reply
          : () => {
              previous();
              reply();
            };
      enqueue.assign({ drainReply: () => combined });
      if (previous === undefined) enqueue.raise({ type: "DRAIN.DEADLINE" }, { id: DRAIN_DEADLINE_ID, delay: timer(context.spec.maxCallS) });
    }),
    replyDrained: ({ event }) => {
      if (event.type === "DRAIN") event.reply();
    },
    /** Tells the supervisor (systemId "hangar"), when there is one, that recovery should decide. */
    notifyCrashed: enqueueActions(({ context, system, enqueue }) => {
      const supervisor = system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
      if (supervisor) enqueue.sendTo(supervisor, { type: "PROVIDER.CRASHED", providerId: context.spec.id } satisfies ProviderCrashedEvent);
    }),
    recordRecoveryScheduled: assign({
      recovery: ({ context, event }) =>
        event.type === "RECOVERY.SCHEDULED" ? { ...context.recovery, nextRestartAt: event.at } : context.recovery,
    }),
    resetRestartBudget: assign({
      recovery: ({ context }) => ({ ...context.recovery, restartTimes: [], nextRestartAt: undefined, restarting: false }),
    }),
    clearRecovery: assign({
      recovery: ({ context }) => ({ ...context.recovery, nextRestartAt: undefined, restarting: false }),
    }),
    replyAlreadyStopped: ({ event }) => {
      if (event.type === "STOP") event.reply?.();
    },
    replyStarted: ({ event }) => {
      if (event.type === "START") event.reply?.({ ok: true });
    },
    rejectRecovering: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      const at = context.recovery.nextRestartAt;
      const when = at === undefined ? "shortly" : `in ${seconds(at - Date.now())}s`;
      const message = `provider '${context.spec.id}' crashed (${context.lastError?.message ?? "unknown reason"}); it restarts ${when} — retry after that`;
      const call = event.call;
      const tail = stderrTail(context);
      enqueue(() => {
        call.reply(failure("unavailable", message, tail));
      });
      enqueue.emit(refused(context, call, message));
    }),
    rejectDead: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      const message = `provider '${context.spec.id}' is DEAD: ${context.lastError?.message ?? "gave up"}; start it again with registry_start`;
      const call = event.call;
      const tail = stderrTail(context);
      enqueue(() => {
        call.reply(failure("unavailable", message, tail));
      });
      enqueue.emit(refused(context, call, message));
    }),
    recordGiveUp: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "GIVE_UP") return;
      enqueue.assign({ lastError: { kind: "unavailable", message: event.message, at: Date.now() } });
      enqueue.emit({ type: "ProviderDied", providerId: context.spec.id, reason: event.message });
    }),
    recordProbe: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== HEALTH_PROBE_DONE) return;
      const result = event.output;
      const health = context.health;
      const now = Date.now();
      if (result.ok) {
        const successes = health.consecutiveSuccesses + 1;
        enqueue.assign({
          health: { consecutiveFailures: 0, consecutiveSuccesses: successes, lastProbeAt: now, lastProbe: result, probing: false },
        });
        enqueue.emit({ type: "HealthCheckPassed", providerId: context.spec.id, method: result.method, durationMs: result.durationMs });
        if (successes >= context.spec.healthyThreshold) enqueue.raise({ type: "HEALTH.PASSED" });
        return;
      }
      const failures = health.consecutiveFailures + 1;
      enqueue.assign({
        health: { consecutiveFailures: failures, consecutiveSuccesses: 0, lastProbeAt: now, lastProbe: result, probing: false },
      });
      enqueue.emit({ type: "HealthCheckFailed", providerId: context.spec.id, message: result.message, consecutiveFailures: failures });
      if (failures >= context.spec.maxConsecutiveFailures) {
        enqueue.raise({ type: "HEALTH.FAILED", message: `${failures} health probes failed in a row: ${result.message}` });
      }
    }),
    // The breaker region's bookkeeping.
    countFault: assign({ breaker: ({ context }) => ({ ...context.breaker, failures: context.breaker.failures + 1 }) }),
    resetFaults: assign({ breaker: ({ context }) => ({ ...context.breaker, failures: 0 }) }),
    releaseTrial: assign({
      breaker: ({ context }) => ({ ...context.breaker, trialsAdmitted: Math.max(0, context.breaker.trialsAdmitted - 1) }),
    }),
    releaseAllTrials: assign({ breaker: ({ context }) => ({ ...context.breaker, trialsAdmitted: 0 }) }),
    admitTrial: assign({
      breaker: ({ context }) => ({ ...context.breaker, trialsAdmitted: context.breaker.trialsAdmitted + 1 }),
    }),
    enterClosed: enqueueActions(({ context, enqueue }) => {
      // Already CLOSED (a new provider, or a restart inheriting a CLOSED breaker): keep the count,
      // so a crash loop still adds up to failure_threshold across restarts.
      if (context.breaker.state === "CLOSED") return;
      enqueue.assign({ breaker: { state: "CLOSED", failures: 0, openedAt: undefined, trialsAdmitted: 0 } });
      enqueue.emit({ type: "CircuitClosed", providerId: context.spec.id });
      enqueue.raise({ type: "BREAKER.CLOSED" });
    }),
    enterOpen: enqueueActions(({ context, enqueue }) => {
      // A restored OPEN breaker keeps its deadline; a fresh one starts it now.
      const restored = context.breaker.state === "OPEN" && context.breaker.openedAt !== undefined;
      const openedAt = restored ? (context.breaker.openedAt ?? Date.now()) : Date.now();
      // Opening from CLOSED counts the fault that tipped it; a failed trial leaves the count as it was.
      const failures = context.breaker.state === "CLOSED" ? context.breaker.failures + 1 : context.breaker.failures;
      enqueue.assign({ breaker: { state: "OPEN", failures, openedAt, trialsAdmitted: 0 } });
      if (restored) return;
      enqueue.emit({
        type: "CircuitOpened",
        providerId: context.spec.id,
        failures,
        retryAt: openedAt + context.spec.circuitBreaker.resetTimeoutS * 1000,
      });
      enqueue.raise({ type: "BREAKER.OPENED" });
    }),
    enterHalfOpen: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ breaker: { ...context.breaker, state: "HALF_OPEN", trialsAdmitted: 0 } });
      enqueue.emit({ type: "CircuitHalfOpened", providerId: context.spec.id });
    }),
  },
}).createMachine({
  id: "provider",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  type: "parallel",
  context: ({ input }) => initialProviderContext(input),
  on: {
    "INVOKE.BATCH": {
      actions: "takeEachInvoke",
      description: "The calls of one tick, where they are not all sent at once (see serving): each taken as its own INVOKE, in order.",
    },
    "LANE.CLOSED": {
      actions: "foldLaneStats",
      description: "The lane closed as the provider stopped: the calls it answered count in the stats (those it had running were cut with the connection).",
    },
    "LANE.ACTIVITY": {
      actions: "foldLaneStats",
      description: "The lane's answer to an idle check that came after the provider stopped serving: the calls it answered count in the stats.",
    },
  },
  states: {
    lifecycle: {
      initial: "restore",
      states: {
        restore: {
          description: "Picks the first state: a provider restarted by the supervisor starts at once.",
          always: [
            {
              guard: "restartingAfterCrash",
              target: "running",
              description: "Restarted by the recovery saga: straight to INITIALIZING.",
            },
            { target: "COLD", description: "A new provider starts COLD (lazily)." },
          ],
        },
        COLD: {
          description: "Not running and owning no process. Predefined and cached tools stay listed.",
          entry: { type: "enterState", params: { to: "COLD" } },
          on: {
            INVOKE: [
              queueInvoke[0],
              {
                target: "running",
                actions: ["markStartRequested", "enqueueCall"],
                description: "Lazy start: the first call starts the provider and waits in the queue.",
              },
            ],
            START: {
              target: "running",
              actions: ["markStartRequested", "addStartWaiter"],
              description: "Explicit start (registry_start, warm-up).",
            },
            STOP: { actions: "replyAlreadyStopped", description: "Already stopped: nothing to do." },
            DRAIN: { actions: "replyDrained", description: "Nothing in flight: drained at once." },
            GIVE_UP: { target: "DEAD", actions: "recordGiveUp", description: "The supervisor gave up on this provider." },
          },
        },
        running: {
          description: "The connection (process and MCP session) exists for exactly as long as this state.",
          invoke: {
            id: "connection",
            src: "connection",
            input: ({ context }) => ({ spec: context.spec, stderr: context.stderr }),
          },
          initial: "INITIALIZING",
          on: {
            DRAIN: [
              {
                guard: "nothingToFinish",
                target: "COLD",
                actions: ["beginDrain", "failPending", "recordStop"],
                description: "Config change or removal with no call in flight or queued: drained at once, stop.",
              },
              {
                actions: ["beginDrain", "closeLaneIfOpen"],
                description:
                  "Config change or removal: the supervisor routes nothing new here and the lane closes; finish the calls in flight, then stop.",
              },
            ],
            "LANE.CLOSED": [
              {
                guard: "foldFinishesDrain",
                target: "COLD",
                actions: ["foldLaneStats", "failPending", "recordStop"],
                description: "Draining, and the lane closed with no call running: stop (the supervisor then replaces or removes this actor).",
              },
              {
                actions: ["foldLaneStats", "foldLaneInFlight"],
                description: "The lane closed: the calls it answered count in the stats, and the chart waits for those it still has running.",
              },
            ],
            "DRAIN.DEADLINE": {
              target: "COLD",
              actions: ["failPending", "recordStop"],
              description: "Still busy max_call_s after DRAIN: stop anyway, cutting what runs.",
            },
            "CONNECTION.FAILED": leaveRunning(
              "The process died (or a restart failed): calls fail now, the recovery saga decides when to restart.",
              "A lazy start failed: pending calls fail with the reason; the next call tries again.",
            ),
            STOP: {
              target: "COLD",
              actions: ["failPending", "recordStop"],
              description: "Graceful stop (manual, shutdown or config change): the process group is terminated.",
            },
            GIVE_UP: {
              target: "DEAD",
              actions: ["recordGiveUp", "failPending", "recordStop"],
              description: "The supervisor gave up: stop the process and wait for a person.",
            },
            // Split by guards rather than judged in one enqueueActions: the common case (a success
            // with nothing for the breaker to forget) runs built-in actions only.
            "CALL.DONE": [
              {
                guard: "finishesDrain",
                target: "COLD",
                actions: ["countCallDone", "judgeCallDone", "failPending", "recordStop"],
                description: "Draining and this was the last call: judged like any other, then stop (the supervisor then replaces or removes this actor).",
              },
              {
                guard: "succeededWithNothingToForget",
                actions: ["countCallDone", "announceCallCompleted"],
                description: "A call succeeded; the breaker is CLOSED with no fault counted.",
              },
              {
                guard: "callSucceeded",
                actions: ["countCallDone", "forgetFaults", "announceCallCompleted"],
                description: "A call succeeded: the breaker forgets its faults (or a trial succeeded).",
              },
              { actions: ["countCallDone", "judgeCallDone"], description: "A call failed: the breaker judges the kind." },
            ],
            // The calls the provider answered in one tick (see ConnectionOutbox): one step for all of
            // them, ending where the same CALL.DONEs one by one would (failures never come batched).
            "CALLS.DONE": [
              {
                guard: "finishesDrain",
                target: "COLD",
                actions: ["countCallDone", "judgeCallDone", "failPending", "recordStop"],
                description: "Draining and these were the last calls: counted and announced, then stop.",
              },
              {
                guard: "breakerHasNothingToForget",
                actions: ["countCallDone", "announceCallsCompleted"],
                description: "Several calls answered in one tick; the breaker is CLOSED with no fault counted.",
              },
              {
                actions: ["countCallDone", "forgetFaults", "announceCallsCompleted"],
                description: "Several calls answered in one tick: the breaker forgets its faults (or a trial succeeded) once, as the first of them would.",
              },
            ],
            "CONNECTION.TOOLS_CHANGED": {
              actions: "recordToolsChanged",
              description: "The provider announced tools/list_changed; the cached list is refreshed.",
            },
          },
          states: {
            INITIALIZING: {
              description: "Process spawned, MCP initialize and tools/list in progress. Calls queue here.",
              entry: { type: "enterState", params: { to: "INITIALIZING" } },
              after: {
                startupTimeout: leaveRunning(
                  "A restart did not initialize within startup_timeout_s: back to the recovery saga.",
                  "No MCP session within startup_timeout_s: stop and report start_failed.",
                ),
              },
              on: {
                INVOKE: [...queueInvoke],
                START: { actions: "addStartWaiter", description: "Single flight: wait for the start under way." },
                "CONNECTION.READY": [
                  {
                    guard: "breakerClosed",
                    target: "serving.READY",
                    actions: ["recordReady", "flushQueue"],
                    description: "Initialized and tools listed (or predefined, the list to follow): queued calls go out, waiters are answered.",
                  },
                  {
                    target: "serving.DEGRADED",
                    actions: ["recordReady", "flushQueue"],
                    description: "Initialized while the breaker is not CLOSED (a restart keeps its breaker): serving, but flagged at once.",
                  },
                ],
              },
            },
            serving: {
              description:
                "Initialized and serving calls. Two timers run while serving, as delayed events: PROBE.DUE every health_check_interval_s, and IDLE.CHECK, which fires once per idle_ttl_s and either stops the provider or re-arms for the time still left (no transition per call).",
              initial: "READY",
              entry: ["armIdleTimer", "scheduleIdleCheck", "scheduleProbe"],
              exit: "stopServingTimers",
              on: {
                INVOKE: [...serveInvoke],
                "INVOKE.BATCH": [...serveInvokeBatch],
                START: { actions: "replyStarted", description: "Already running." },
                "PROBE.DUE": {
                  guard: "probeIdle",
                  actions: "startProbe",
                  description: "Time for the next probe: one MCP ping (tools/list if ping is not supported), bounded by a timeout.",
                },
                "PROBE.REQUEST": { actions: "forwardProbe", description: "The health probe asks the connection to ping." },
                [HEALTH_PROBE_DONE]: {
                  guard: "probeRunning",
                  actions: ["recordProbe", "stopProbe", "scheduleProbe"],
                  description: "Count the probe's result; the next one is due health_check_interval_s from now.",
                },
                "IDLE.CHECK": [
                  {
                    guard: "laneOpen",
                    actions: "askLane",
                    description: "The lane serves calls this chart does not see: ask it (its LANE.ACTIVITY decides).",
                  },
                  {
                    guard: "idleForFullPeriod",
                    target: "#provider.lifecycle.COLD",
                    actions: "recordStop",
                    description: "Idle stop: nothing in flight and no call finished for idle_ttl_s (health probes do not count).",
                  },
                  {
                    actions: ["armIdleTimer", "scheduleIdleCheck"],
                    description: "Calls happened meanwhile: re-arm for idle_ttl_s after the last one finished.",
                  },
                ],
                "LANE.ACTIVITY": [
                  {
                    guard: "idleWithLane",
                    target: "#provider.lifecycle.COLD",
                    actions: "recordStop",
                    description: "Idle stop: the lane too had nothing running and answered nothing for idle_ttl_s.",
                  },
                  {
                    actions: ["foldLaneStats", "armIdleTimer", "scheduleIdleCheck"],
                    description: "The lane had calls: they count in the stats, and the idle timer re-arms after the last one.",
                  },
                ],
              },
              states: {
                READY: {
                  description: "Serving, probes pass and the breaker is CLOSED. With no fault counted and no drain, calls go through the lane.",
                  entry: [{ type: "enterState", params: { to: "READY" } }, "openLaneIfClear"],
                  exit: "closeLaneIfOpen",
                  on: {
                    "HEALTH.FAILED": {
                      target: "DEGRADED",
                      description: "max_consecutive_failures probes failed: still serving, but flagged.",
                    },
                    "BREAKER.OPENED": { target: "DEGRADED", description: "The breaker opened: flagged." },
                  },
                },
                DEGRADED: {
                  description: "Running, but health probes fail or the breaker is not CLOSED.",
                  entry: { type: "enterState", params: { to: "DEGRADED" } },
                  on: {
                    "HEALTH.PASSED": {
                      guard: and(["breakerClosed", "probesHealthy"]),
                      target: "READY",
                      description: "healthy_threshold probes passed and the breaker is CLOSED: back to READY.",
                    },
                    "BREAKER.CLOSED": {
                      guard: "probesHealthy",
                      target: "READY",
                      description: "The breaker closed and probes pass: back to READY.",
                    },
                  },
                },
              },
            },
          },
        },
        RECOVERING: {
          description: "The process died. Owns no process; calls fail at once with a retry-after until the recovery saga restarts it.",
          entry: [{ type: "enterState", params: { to: "RECOVERING" } }, "notifyCrashed"],
          on: {
            INVOKE: { actions: "rejectRecovering", description: "Fail fast, saying when the restart is due." },
            "RECOVERY.SCHEDULED": { actions: "recordRecoveryScheduled", description: "The saga chose the restart time." },
            START: {
              target: "running",
              actions: ["clearRecovery", "markStartRequested", "addStartWaiter"],
              description: "A person restarts it now (registry_start); the supervisor cancels the saga.",
            },
            STOP: {
              target: "COLD",
              actions: ["clearRecovery", "replyAlreadyStopped"],
              description: "Stopped by a person or shutdown: no restart.",
            },
            DRAIN: {
              target: "COLD",
              actions: ["clearRecovery", "replyDrained"],
              description: "Config change or removal: nothing runs, so no restart and drained at once.",
            },
            GIVE_UP: { target: "DEAD", actions: "recordGiveUp", description: "Over the restart budget: give up." },
          },
        },
        DEAD: {
          description: "Gave up: owns no process, refuses calls, and waits for a person to start it again.",
          entry: { type: "enterState", params: { to: "DEAD" } },
          on: {
            INVOKE: { actions: "rejectDead", description: "Refuse at once with the reason it died." },
            START: {
              target: "running",
              actions: ["resetRestartBudget", "markStartRequested", "addStartWaiter"],
              description: "Manual restart by a person (registry_start): the restart budget starts afresh.",
            },
            STOP: { actions: "replyAlreadyStopped", description: "Nothing runs." },
            DRAIN: { actions: "replyDrained", description: "Nothing runs: drained at once." },
          },
        },
      },
    },
    breaker: {
      initial: "restore",
      states: {
        restore: {
          description: "A restarted provider keeps its predecessor's breaker state.",
          always: [
            { guard: "breakerWasOpen", target: "OPEN", description: "It was OPEN: stays OPEN until its deadline." },
            { guard: "breakerWasHalfOpen", target: "HALF_OPEN", description: "It was HALF_OPEN." },
            { target: "CLOSED", description: "Otherwise CLOSED." },
          ],
        },
        CLOSED: {
          description: "Calls flow; consecutive provider faults are counted.",
          entry: "enterClosed",
          on: {
            "BREAKER.FAULT": [
              {
                guard: "reachesFailureThreshold",
                target: "OPEN",
                actions: "closeLaneIfOpen",
                description: "failure_threshold faults in a row: open.",
              },
              { actions: ["countFault", "closeLaneIfOpen"], description: "Count the fault; calls go through the chart until it is forgotten." },
            ],
            "BREAKER.SUCCESS": {
              actions: ["resetFaults", "openLaneIfClear"],
              description: "A success resets the count (a READY provider's lane opens again).",
            },
          },
        },
        OPEN: {
          description: "Refuses every call at once, saying when it will let a trial through.",
          entry: "enterOpen",
          after: { breakerReset: { target: "HALF_OPEN", description: "reset_timeout_s passed: allow trial calls." } },
        },
        HALF_OPEN: {
          description: "Lets half_open_max_calls trial calls through; their outcome decides.",
          entry: "enterHalfOpen",
          on: {
            INVOKE: {
              guard: and(["trialSlotFree", "lifecycleTakesCalls"]),
              actions: "admitTrial",
              description: "Admit a trial call.",
            },
            "BREAKER.NEUTRAL": {
              actions: "releaseTrial",
              description: "A trial ended without a verdict (cancelled, stopped): its slot is free again.",
            },
            "BREAKER.TRIALS_ABANDONED": {
              actions: "releaseAllTrials",
              description: "The provider stopped (stop, drain deadline, give-up) with trials in flight: cut without a verdict, every slot is free again.",
            },
            "BREAKER.SUCCESS": { target: "CLOSED", description: "A trial succeeded: close and reset the count." },
            "BREAKER.FAULT": { target: "OPEN", description: "A trial failed: open again." },
          },
        },
      },
    },
  },
});
