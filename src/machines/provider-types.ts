import type { Implementation, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ProviderSpec } from "../config/types.js";
import type { BreakerStateName, ProviderStateName, StopReason } from "../shared/domain-events.js";

export type { BreakerStateName };
import type { FailureKind } from "../shared/failure-kind.js";
import { LineRing } from "../shared/line-ring.js";
import type { ToolCall } from "./call.js";
import type { ConnectionEvent, ProbeResult } from "./connection-protocol.js";

/** The types of the provider chart: its context, its input, its events. */

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


export interface BreakerContext {
  /** The region's state, kept in step by its entries (observers and the next incarnation read it). */
  state: BreakerStateName;
  /** Consecutive provider faults while CLOSED. */
  failures: number;
  openedAt: number | undefined;
  /** Trial calls let through since HALF_OPEN began. */
  trialsAdmitted: number;
}

export interface HealthContext {
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastProbeAt: number | undefined;
  lastProbe: ProbeResult | undefined;
  /** A health probe is under way (its actor runs; the next PROBE.DUE is raised when it ends). */
  probing: boolean;
}

export interface RecoveryContext {
  /** Restarts by the recovery saga, over the provider's whole life. */
  restartCount: number;
  /** When each recent restart happened (the saga's budget counts those within restart.window_s). */
  restartTimes: number[];
  /** Set by the saga while it waits: calls fail fast and say when to retry. */
  nextRestartAt: number | undefined;
  /** This incarnation was started by the recovery saga and has not reached READY yet. */
  restarting: boolean;
}

/**
 * What a provider actor hands its successor when the supervisor restarts it: everything a
 * person or the breaker would miss if the restart forgot it.
 */
export interface ProviderHistory {
  stats: ProviderStats;
  liveTools: Tool[] | undefined;
  lastError: ProviderError | undefined;
  stderr: LineRing;
  breaker: BreakerContext;
  recovery: RecoveryContext;
}

/**
 * What earlier runs of the hangar left of a provider, replayed from the audit trail at start-up:
 * registry_details keeps its counters across a restart of the hangar. Unlike a history, it does
 * not start the provider.
 */
export interface ProviderRecord {
  stats: ProviderStats;
  lastError: ProviderError | undefined;
  restartCount: number;
}

export interface ProviderInput {
  spec: ProviderSpec;
  /** Given when the supervisor restarts a crashed provider: the new actor starts at once. */
  history?: ProviderHistory;
  /** Given at start-up when the audit trail remembers the provider (see ProviderRecord). */
  record?: ProviderRecord;
}

export interface ProviderContext {
  spec: ProviderSpec;
  stderr: LineRing;
  /** The lifecycle state name for observers; kept in step by each state's entry. */
  state: ProviderStateName;
  /** The last live tools/list result; kept while COLD so an idle stop changes nothing a client sees. */
  liveTools: Tool[] | undefined;
  /** Calls that arrived before the provider was READY (single flight: they share one start). */
  queue: ToolCall[];
  startWaiters: StartReply[];
  inFlight: number;
  /**
   * The serving lane (see src/runtime/serving-lanes.ts): `open` while the provider is READY with
   * its breaker CLOSED, no fault counted and no drain — its direct calls then go to the
   * connection without a step of this chart, and the lane counts them; `closing` from the moment
   * the chart closes it until its counts come back (LANE.CLOSED); `closed` otherwise.
   */
  lane: LaneState;
  /** Calls that went out on the lane and were still running when it closed (folded by LANE.CLOSED). */
  laneInFlight: number;
  /** stats.calls when the idle timer was last armed: a change means the provider was not idle. */
  idleArmedAtCalls: number;
  pid: number | undefined;
  serverInfo: Implementation | undefined;
  protocolVersion: string | undefined;
  startRequestedAt: number | undefined;
  readyAt: number | undefined;
  lastError: ProviderError | undefined;
  stats: ProviderStats;
  breaker: BreakerContext;
  health: HealthContext;
  recovery: RecoveryContext;
  /**
   * Set while the provider drains for a config change or a removal: the supervisor routes no new
   * calls here, and this is answered once the calls in flight have finished and the process stopped.
   */
  drainReply: (() => void) | undefined;
}

export type LaneState = "open" | "closing" | "closed";

/** What a serving lane counted, as it tells the chart (LANE.CLOSED, LANE.ACTIVITY). */
export interface LaneCounts {
  /** Its calls still running. */
  inFlight: number;
  /** Its calls answered since it last told the chart. */
  finished: number;
  /** When the last of those was answered. */
  lastCallAt: number | undefined;
}

/** `stats` with a lane's answered calls added (the chart's fold, and the views' live counts). */
export function statsWithLane(stats: ProviderStats, counts: LaneCounts): ProviderStats {
  if (counts.finished === 0) return stats;
  const lastCallAt = Math.max(stats.lastCallAt ?? 0, counts.lastCallAt ?? 0);
  return { ...stats, calls: stats.calls + counts.finished, lastCallAt: lastCallAt === 0 ? stats.lastCallAt : lastCallAt };
}

export type ProviderEvent =
  | { type: "INVOKE"; call: ToolCall }
  /** The calls the front ends made for this provider in one tick, in order (see TickInvokes). */
  | { type: "INVOKE.BATCH"; calls: ToolCall[] }
  | { type: "START"; reply?: StartReply }
  | { type: "STOP"; reason: Extract<StopReason, "manual" | "shutdown" | "config">; reply?: () => void }
  /** Finish the calls in flight, then stop (config change or removal); `reply` once stopped. */
  | { type: "DRAIN"; reply: () => void }
  /** Raised max_call_s after DRAIN: calls still running then are cut. */
  | { type: "DRAIN.DEADLINE" }
  | { type: "HEALTH.FAILED"; message: string }
  | { type: "HEALTH.PASSED" }
  | { type: "GIVE_UP"; message: string }
  | { type: "RECOVERY.SCHEDULED"; at: number }
  | { type: "PROBE.REQUEST"; timeoutMs: number; reply: (result: ProbeResult) => void }
  // Raised by the chart itself, delayed: serving's two timers, and the health probe actor's result.
  | { type: "PROBE.DUE" }
  | { type: "IDLE.CHECK" }
  // The serving lane's answers: its counts once it closed, and its activity when the idle check asks.
  | ({ type: "LANE.CLOSED" } & LaneCounts)
  | ({ type: "LANE.ACTIVITY" } & LaneCounts)
  | { type: "xstate.done.actor.healthProbe"; output: ProbeResult }
  | ConnectionEvent
  // Raised by the chart itself so the breaker region learns what the lifecycle region judged.
  | { type: "BREAKER.FAULT" }
  | { type: "BREAKER.SUCCESS" }
  | { type: "BREAKER.NEUTRAL" }
  | { type: "BREAKER.TRIALS_ABANDONED" }
  | { type: "BREAKER.OPENED" }
  | { type: "BREAKER.CLOSED" };

/** Sent to the supervisor (the parent) when the process died and recovery should decide. */
export interface ProviderCrashedEvent {
  type: "PROVIDER.CRASHED";
  providerId: string;
}

export function initialProviderContext(input: ProviderInput): ProviderContext {
  const history = input.history;
  return {
    spec: input.spec,
    stderr: history?.stderr ?? new LineRing(200),
    // A restarted provider comes out of RECOVERING (its first change says so, not COLD → INITIALIZING).
    state: history ? "RECOVERING" : "COLD",
    liveTools: history?.liveTools,
    queue: [],
    startWaiters: [],
    inFlight: 0,
    lane: "closed",
    laneInFlight: 0,
    idleArmedAtCalls: 0,
    pid: undefined,
    serverInfo: undefined,
    protocolVersion: undefined,
    startRequestedAt: history ? Date.now() : undefined,
    readyAt: undefined,
    lastError: history?.lastError ?? input.record?.lastError,
    stats: history?.stats ?? input.record?.stats ?? { calls: 0, failures: 0, starts: 0, lastCallAt: undefined },
    breaker: history?.breaker ?? { state: "CLOSED", failures: 0, openedAt: undefined, trialsAdmitted: 0 },
    health: { consecutiveFailures: 0, consecutiveSuccesses: 0, lastProbeAt: undefined, lastProbe: undefined, probing: false },
    recovery: history
      ? { ...history.recovery, nextRestartAt: undefined, restarting: true }
      : { restartCount: input.record?.restartCount ?? 0, restartTimes: [], nextRestartAt: undefined, restarting: false },
    drainReply: undefined,
  };
}

/** The history a restarted provider inherits from the crashed one. */
export function providerHistory(context: ProviderContext, restartedAt: number): ProviderHistory {
  return {
    stats: context.stats,
    liveTools: context.liveTools,
    lastError: context.lastError,
    stderr: context.stderr,
    breaker: context.breaker,
    recovery: {
      restartCount: context.recovery.restartCount + 1,
      restartTimes: [...context.recovery.restartTimes, restartedAt],
      nextRestartAt: undefined,
      restarting: true,
    },
  };
}
