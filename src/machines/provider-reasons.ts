import type { StopReason } from "../shared/domain-events.js";
import type { FailureKind } from "../shared/failure-kind.js";
import type { ProviderContext, ProviderEvent } from "./provider-types.js";

/** Why the provider chart moves: the words for errors, logs and ProviderStateChanged. */

export interface StopDescription {
  kind: Exclude<FailureKind, "ok" | "tool_error">;
  reason: StopReason;
  message: string;
}

/** Why the provider is leaving `running` (or refusing a start), from the event that made it. */
export function describeStop(context: ProviderContext, event: ProviderEvent): StopDescription {
  const id = context.spec.id;
  switch (event.type) {
    case "CONNECTION.FAILED":
      return { kind: event.kind, reason: event.kind === "start_failed" ? "start_failed" : "crash", message: event.message };
    case "STOP":
      return { kind: "unavailable", reason: event.reason, message: `provider '${id}' was stopped (${event.reason})` };
    case "GIVE_UP":
      return { kind: "unavailable", reason: "gave_up", message: event.message };
    case "DRAIN.DEADLINE":
      return {
        kind: "unavailable",
        reason: "config",
        message: `provider '${id}' was still busy ${context.spec.maxCallS}s (max_call_s) after a config change; its calls were cut`,
      };
    default:
      break;
  }
  // A drained provider stops on whichever event finished its last call.
  if (context.drainReply !== undefined) {
    return { kind: "unavailable", reason: "config", message: `provider '${id}' was stopped after draining (config)` };
  }
  // The idle check decides, or the lane's answer to it when calls went through the lane.
  if (event.type === "IDLE.CHECK" || event.type === "LANE.ACTIVITY") {
    return { kind: "unavailable", reason: "idle", message: `provider '${id}' stopped after ${context.spec.idleTtlS}s idle` };
  }
  const type = (event as { type: string }).type;
  if (type.startsWith("xstate.after.startupTimeout")) {
    return {
      kind: "start_failed",
      reason: "start_failed",
      message: `provider '${id}' did not finish MCP initialization within ${context.spec.startupTimeoutS}s (startup_timeout_s)`,
    };
  }
  return { kind: "unavailable", reason: "manual", message: `provider '${id}' stopped` };
}

/** A short, human reason for a state change, derived from the event that caused it. */
export function transitionReason(event: ProviderEvent): string {
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
    case "DRAIN":
    case "DRAIN.DEADLINE":
    case "CALL.DONE":
    case "CALLS.DONE":
    case "LANE.CLOSED":
      return "config change (drained)";
    case "IDLE.CHECK":
    case "LANE.ACTIVITY":
      return "idle";
    default: {
      const type = (event as { type: string }).type;
      if (type.startsWith("xstate.after.startupTimeout")) return "startup timeout";
      // The only chart that starts outside COLD is the successor the supervisor spawns after a
      // crash (lifecycle.restore): its first step is the restart, whose event is xstate's own.
      if (type === "xstate.init") return "restart";
      return type;
    }
  }
}
