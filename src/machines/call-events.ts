import type { DomainEvent } from "../shared/domain-events.js";
import type { ToolCall } from "./call.js";
import type { CallDone } from "./connection-protocol.js";

/**
 * A call's two ordinary domain events, built the same way whether the provider chart announces
 * them or the serving lane does (src/runtime/serving-lanes.ts).
 */

/** A call handed to the connection, as observers hear of it. */
export function requestedEvent(providerId: string, call: ToolCall): DomainEvent {
  return {
    type: "ToolInvocationRequested",
    providerId,
    tool: call.tool,
    correlationId: call.correlationId,
    principal: call.principal,
    arguments: call.arguments,
  };
}

/** A call the provider answered (ok or tool_error), as observers hear of it. */
export function completedEvent(providerId: string, done: CallDone): DomainEvent {
  return {
    type: "ToolInvocationCompleted",
    providerId,
    tool: done.tool,
    correlationId: done.correlationId,
    principal: done.principal,
    // Only answered calls come here; the check narrows the type.
    kind: done.kind === "tool_error" ? "tool_error" : "ok",
    durationMs: done.durationMs,
    toolResult: done.toolResult,
  };
}
