import type { CallOutcome, ToolCall } from "../machines/call.js";
import type { Logger } from "../observability/log.js";

/** Small pieces every connection uses to answer calls and read limits. */

export function replySafely(call: ToolCall, outcome: CallOutcome, log: Logger): void {
  try {
    call.reply(outcome);
  } catch (error) {
    log.error("a call's reply callback threw", { correlationId: call.correlationId, error });
  }
}

export function seconds(ms: number): number {
  return ms / 1000;
}

/** A config from before a field existed (or a zero) must not turn into a zero or NaN limit. */
export function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}
