import type { Implementation, Tool } from "@modelcontextprotocol/sdk/types.js";
import { assign, enqueueActions, fromCallback, setup } from "xstate";
import type { ProviderSpec } from "../config/types.js";
import type { DomainEvent, ProviderStateName, StopReason } from "../shared/domain-events.js";
import type { FailureKind } from "../shared/failure-kind.js";
import { LineRing } from "../shared/line-ring.js";
import { failure, type ToolCall } from "./call.js";
import type { ConnectionCallEvent, ConnectionEvent, ConnectionInput } from "./connection-protocol.js";

/**
 * The provider chart: COLD → INITIALIZING → READY ⇄ DEGRADED → DEAD.
 *
 * Pure: it owns no process. The `connection` actor (injected with `machine.provide`) is invoked
 * on `running`, which covers INITIALIZING, READY and DEGRADED — so leaving `running` stops the
 * connection, and the connection's cleanup kills the process group. COLD and DEAD own nothing.
 */

export type StartResult = { ok: true } | { ok: false; kind: FailureKind; message: string; stderrTail?: string[] };
export type StartReply = (result: StartResult) => void;

export interface ProviderError {
  kind: FailureKind;
  message: string;
  at: number;
}

export interface ProviderStats {
  calls: number;
  failures: number;
  starts: number;
  lastCallAt: number | undefined;
}

export interface ProviderInput {
  spec: ProviderSpec;
  /** Kept across restarts so errors can show what the provider said last. */
  stderr?: LineRing;
}

export interface ProviderContext {
  spec: ProviderSpec;
  stderr: LineRing;
  /** The state name for observers; kept in step by each state's entry. */
  state: ProviderStateName;
  /** The last live tools/list result; kept while COLD so an idle stop changes nothing a client sees. */
  liveTools: Tool[] | undefined;
  /** Calls that arrived before the provider was READY (single flight: they share one start). */
  queue: ToolCall[];
  startWaiters: StartReply[];
  inFlight: number;
  pid: number | undefined;
  serverInfo: Implementation | undefined;
  protocolVersion: string | undefined;
  startRequestedAt: number | undefined;
  readyAt: number | undefined;
  lastError: ProviderError | undefined;
  stats: ProviderStats;
}

export type ProviderEvent =
  | { type: "INVOKE"; call: ToolCall }
  | { type: "START"; reply?: StartReply }
  | { type: "STOP"; reason: Extract<StopReason, "manual" | "shutdown" | "config">; reply?: () => void }
  | { type: "HEALTH.FAILED"; message: string }
  | { type: "HEALTH.PASSED" }
  | { type: "GIVE_UP"; message: string }
  | ConnectionEvent;

/** Longest delay setTimeout accepts; larger values fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const STDERR_TAIL_LINES = 20;

function stderrTail(context: ProviderContext): string[] {
  return context.stderr.tail(STDERR_TAIL_LINES);
}

/** READY and DEGRADED serve calls the same way; only health moves between them. */
const idleStopAfter = {
  idleTtl: {
    guard: "idleStopEnabled",
    target: "#provider.COLD",
    actions: "recordStop",
    description: "Idle stop: no call in flight for idle_ttl_s (health probes do not count).",
  },
} as const;

function servingTransitions(self: "READY" | "DEGRADED") {
  return {
    INVOKE: { actions: "forwardCall", description: "Send the call to the connection." },
    START: { actions: "replyStarted", description: "Already running." },
    "CALL.DONE": [
      {
        guard: "isLastInFlight",
        target: self,
        reenter: true,
        actions: "recordCallDone",
        description: "The last call in flight finished: the idle timer starts again.",
      },
      { actions: "recordCallDone", description: "A call finished; others are still in flight." },
    ],
  } as const;
}

export const providerMachine = setup({
  types: {
    context: {} as ProviderContext,
    events: {} as ProviderEvent,
    input: {} as ProviderInput,
    emitted: {} as DomainEvent,
  },
  actors: {
    // Placeholder: the real connection (subprocess, container, remote) is provided at start-up.
    connection: fromCallback<ConnectionCallEvent, ConnectionInput>(() => undefined),
  },
  delays: {
    startupTimeout: ({ context }) => Math.min(context.spec.startupTimeoutS * 1000, MAX_TIMER_MS),
    idleTtl: ({ context }) =>
      context.spec.idleTtlS > 0 ? Math.min(context.spec.idleTtlS * 1000, MAX_TIMER_MS) : MAX_TIMER_MS,
  },
  guards: {
    idleStopEnabled: ({ context }) => context.spec.idleTtlS > 0 && context.inFlight === 0,
    isLastInFlight: ({ context }) => context.inFlight === 1,
  },
  actions: {
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
    /** Hands a call to the connection: the hot path, so no copies beyond the counter. */
    forwardCall: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      enqueue.assign({ inFlight: context.inFlight + 1 });
      enqueue.sendTo("connection", { type: "CALL", call: event.call } satisfies ConnectionCallEvent);
      enqueue.emit({
        type: "ToolInvocationRequested",
        providerId: context.spec.id,
        tool: event.call.tool,
        correlationId: event.call.correlationId,
      });
    }),
    /** On READY: every queued call goes to the connection, every start waiter is answered. */
    flushQueue: enqueueActions(({ context, enqueue }) => {
      for (const call of context.queue) {
        enqueue.sendTo("connection", { type: "CALL", call } satisfies ConnectionCallEvent);
        enqueue.emit({
          type: "ToolInvocationRequested",
          providerId: context.spec.id,
          tool: call.tool,
          correlationId: call.correlationId,
        });
      }
      const waiters = context.startWaiters;
      enqueue(() => {
        for (const reply of waiters) reply({ ok: true });
      });
      enqueue.assign({ inFlight: context.inFlight + context.queue.length, queue: [], startWaiters: [] });
    }),
    recordReady: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONNECTION.READY") return;
      const now = Date.now();
      enqueue.assign({
        liveTools: event.tools,
        pid: event.pid,
        serverInfo: event.serverInfo,
        protocolVersion: event.protocolVersion,
        readyAt: now,
        lastError: undefined,
        stats: { ...context.stats, starts: context.stats.starts + 1 },
      });
      enqueue.emit({
        type: "ProviderStarted",
        providerId: context.spec.id,
        pid: event.pid,
        toolCount: event.tools.length,
        durationMs: now - (context.startRequestedAt ?? now),
      });
      enqueue.emit({ type: "ProviderToolsChanged", providerId: context.spec.id, toolCount: event.tools.length });
    }),
    recordToolsChanged: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONNECTION.TOOLS_CHANGED") return;
      enqueue.assign({ liveTools: event.tools });
      enqueue.emit({ type: "ProviderToolsChanged", providerId: context.spec.id, toolCount: event.tools.length });
    }),
    recordCallDone: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CALL.DONE") return;
      const failed = event.kind !== "ok" && event.kind !== "tool_error";
      enqueue.assign({
        inFlight: Math.max(0, context.inFlight - 1),
        stats: {
          calls: context.stats.calls + 1,
          failures: context.stats.failures + (failed ? 1 : 0),
          starts: context.stats.starts,
          lastCallAt: Date.now(),
        },
      });
      if (event.kind === "ok" || event.kind === "tool_error") {
        enqueue.emit({
          type: "ToolInvocationCompleted",
          providerId: context.spec.id,
          tool: event.tool,
          correlationId: event.correlationId,
          kind: event.kind,
          durationMs: event.durationMs,
        });
      } else {
        enqueue.emit({
          type: "ToolInvocationFailed",
          providerId: context.spec.id,
          tool: event.tool,
          correlationId: event.correlationId,
          kind: event.kind,
          durationMs: event.durationMs,
        });
      }
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
        enqueue.emit({
          type: "ToolInvocationFailed",
          providerId: context.spec.id,
          tool: call.tool,
          correlationId: call.correlationId,
          kind,
          message,
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
        pid: undefined,
        readyAt: undefined,
        lastError: isFault ? { kind, message, at: Date.now() } : context.lastError,
      });
      enqueue.emit({ type: "ProviderStopped", providerId: context.spec.id, reason, message });
      if (event.type === "STOP" && event.reply) {
        const reply = event.reply;
        enqueue(() => {
          reply();
        });
      }
    }),
    replyAlreadyStopped: ({ event }) => {
      if (event.type === "STOP") event.reply?.();
    },
    replyStarted: ({ event }) => {
      if (event.type === "START") event.reply?.({ ok: true });
    },
    rejectDead: ({ context, event }) => {
      const message = `provider '${context.spec.id}' is DEAD: ${context.lastError?.message ?? "gave up"}; start it again with registry_start`;
      if (event.type === "INVOKE") event.call.reply(failure("unavailable", message, stderrTail(context)));
      if (event.type === "START") event.reply?.({ ok: false, kind: "unavailable", message });
    },
    recordGiveUp: assign({
      lastError: ({ event, context }) =>
        event.type === "GIVE_UP" ? { kind: "unavailable" as const, message: event.message, at: Date.now() } : context.lastError,
    }),
  },
}).createMachine({
  id: "provider",
  context: ({ input }) => ({
    spec: input.spec,
    stderr: input.stderr ?? new LineRing(200),
    state: "COLD",
    liveTools: undefined,
    queue: [],
    startWaiters: [],
    inFlight: 0,
    pid: undefined,
    serverInfo: undefined,
    protocolVersion: undefined,
    startRequestedAt: undefined,
    readyAt: undefined,
    lastError: undefined,
    stats: { calls: 0, failures: 0, starts: 0, lastCallAt: undefined },
  }),
  initial: "COLD",
  states: {
    COLD: {
      description: "Not running and owning no process. Predefined and cached tools stay listed.",
      entry: { type: "enterState", params: { to: "COLD" } },
      on: {
        INVOKE: {
          target: "running",
          actions: ["markStartRequested", "enqueueCall"],
          description: "Lazy start: the first call starts the provider and waits in the queue.",
        },
        START: {
          target: "running",
          actions: ["markStartRequested", "addStartWaiter"],
          description: "Explicit start (registry_start, warm-up).",
        },
        STOP: { actions: "replyAlreadyStopped", description: "Already stopped: nothing to do." },
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
        "CONNECTION.FAILED": {
          target: "COLD",
          actions: ["failPending", "recordStop"],
          description: "The process died, or it failed to start: pending calls fail with the reason.",
        },
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
        "CALL.DONE": { actions: "recordCallDone", description: "A call finished." },
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
            startupTimeout: {
              target: "#provider.COLD",
              actions: ["failPending", "recordStop"],
              description: "No MCP session within startup_timeout_s: stop and report start_failed.",
            },
          },
          on: {
            INVOKE: { actions: "enqueueCall", description: "Single flight: join the start already under way." },
            START: { actions: "addStartWaiter", description: "Single flight: wait for the start under way." },
            "CONNECTION.READY": {
              target: "READY",
              actions: ["recordReady", "flushQueue"],
              description: "Initialized and tools listed: queued calls go out, waiters are answered.",
            },
          },
        },
        READY: {
          description: "Serving calls. Idle for idle_ttl_s with nothing in flight → graceful stop.",
          entry: { type: "enterState", params: { to: "READY" } },
          after: idleStopAfter,
          on: {
            ...servingTransitions("READY"),
            "HEALTH.FAILED": {
              target: "DEGRADED",
              description: "Health probes fail: still serving, but flagged.",
            },
          },
        },
        DEGRADED: {
          description: "Running, but health probes fail. Calls still go through.",
          entry: { type: "enterState", params: { to: "DEGRADED" } },
          after: idleStopAfter,
          on: {
            ...servingTransitions("DEGRADED"),
            "HEALTH.PASSED": { target: "READY", description: "Probes pass again: back to READY." },
          },
        },
      },
    },
    DEAD: {
      description: "Gave up: owns no process, refuses calls, and waits for a person to start it again.",
      entry: { type: "enterState", params: { to: "DEAD" } },
      on: {
        INVOKE: { actions: "rejectDead", description: "Refuse at once with the reason it died." },
        START: {
          target: "running",
          actions: ["markStartRequested", "addStartWaiter"],
          description: "Manual restart by a person (registry_start).",
        },
        STOP: { actions: "replyAlreadyStopped", description: "Nothing runs." },
      },
    },
  },
});

interface StopDescription {
  kind: Exclude<FailureKind, "ok" | "tool_error">;
  reason: StopReason;
  message: string;
}

/** Why the provider is leaving `running` (or refusing a start), from the event that made it. */
function describeStop(context: ProviderContext, event: ProviderEvent): StopDescription {
  const id = context.spec.id;
  switch (event.type) {
    case "CONNECTION.FAILED":
      return { kind: event.kind, reason: event.kind === "start_failed" ? "start_failed" : "crash", message: event.message };
    case "STOP":
      return { kind: "unavailable", reason: event.reason, message: `provider '${id}' was stopped (${event.reason})` };
    case "GIVE_UP":
      return { kind: "unavailable", reason: "gave_up", message: event.message };
    default:
      break;
  }
  const type = (event as { type: string }).type;
  if (type.startsWith("xstate.after.startupTimeout")) {
    return {
      kind: "start_failed",
      reason: "start_failed",
      message: `provider '${id}' did not finish MCP initialization within ${context.spec.startupTimeoutS}s (startup_timeout_s)`,
    };
  }
  if (type.startsWith("xstate.after.idleTtl")) {
    return { kind: "unavailable", reason: "idle", message: `provider '${id}' stopped after ${context.spec.idleTtlS}s idle` };
  }
  return { kind: "unavailable", reason: "manual", message: `provider '${id}' stopped` };
}

/** A short, human reason for a state change, derived from the event that caused it. */
function transitionReason(event: ProviderEvent): string {
  switch (event.type) {
    case "INVOKE":
      return "first call";
    case "START":
      return "start requested";
    case "STOP":
      return event.reason;
    case "CONNECTION.READY":
      return "initialized";
    case "CONNECTION.FAILED":
      return event.kind;
    case "HEALTH.FAILED":
      return event.message;
    case "HEALTH.PASSED":
      return "health probe passed";
    case "GIVE_UP":
      return "gave up";
    default: {
      const type = (event as { type: string }).type;
      if (type.startsWith("xstate.after.idleTtl")) return "idle";
      if (type.startsWith("xstate.after.startupTimeout")) return "startup timeout";
      return type;
    }
  }
}
