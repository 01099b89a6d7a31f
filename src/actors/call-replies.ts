import type { CallOutcome, ToolCall } from "../machines/call.js";
import type { CallDone, ProbeResult } from "../machines/connection-protocol.js";
import type { Logger } from "../observability/log.js";
import type { ConnectionOutbox } from "./connection-outbox.js";

/** Small pieces every connection uses to answer calls and probes and read limits. */

export function replySafely(call: ToolCall, outcome: CallOutcome, log: Logger): void {
  try {
    call.reply(outcome);
  } catch (error) {
    log.error("a call's reply callback threw", { correlationId: call.correlationId, error });
  }
}

/**
 * Answers a call that is still in flight (membership in `inflight`, with its start time, is what
 * guarantees one reply per call) and tells the provider actor it is done (CALL.DONE, through the
 * outbox, which gathers the answered calls of one tick into one event) — unless the call went out
 * on the provider's open serving lane and was answered: the lane counts and announces it.
 */
export function settleCall(
  inflight: Map<ToolCall, number>,
  call: ToolCall,
  outcome: CallOutcome,
  log: Logger,
  outbox: ConnectionOutbox,
): void {
  const started = inflight.get(call);
  if (started === undefined) return;
  inflight.delete(call);
  const done: CallDone = {
    type: "CALL.DONE",
    correlationId: call.correlationId,
    tool: call.tool,
    kind: outcome.kind,
    durationMs: performance.now() - started,
    principal: call.principal,
    toolResult: outcome.status === "result" ? outcome.result : undefined,
  };
  const answer = () => {
    replySafely(call, outcome, log);
  };
  const lane = call.lane;
  if (lane === undefined) outbox.settle(done, answer);
  // A call that went out on its provider's serving lane is settled there (counted while it is open).
  else
    lane.settle(done, answer, () => {
      outbox.settle(done, answer);
    });
}

/** A health probe waiting for its answer. */
export interface PendingProbe {
  reply: (result: ProbeResult) => void;
  method: "ping" | "tools/list";
  deadline: NodeJS.Timeout | undefined;
}

/** Answers a probe still waiting (membership in `probes` guarantees one reply per probe). */
export function settleProbe(probes: Set<PendingProbe>, pending: PendingProbe, result: ProbeResult, log: Logger): void {
  if (!probes.delete(pending)) return;
  clearTimeout(pending.deadline);
  try {
    pending.reply(result);
  } catch (error) {
    log.error("a probe's reply callback threw", { error });
  }
}

export function seconds(ms: number): number {
  return ms / 1000;
}

/** A config from before a field existed (or a zero) must not turn into a zero or NaN limit. */
export function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}
