import { newCorrelationId } from "../shared/correlation-id.js";
import type { DomainEventBus } from "../observability/domain-event-bus.js";
import type { RefusalReason } from "../shared/domain-events.js";
import { RpcError } from "../transports/rpc-error.js";
import type { Caller } from "./admin-gate.js";
import type { ArgumentViolation } from "./argument-validator.js";
import { describeRateLimitRefusal, type RateLimitRefusal } from "./rate-limiter.js";

/** The JSON-RPC error code of a call refused by a rate limit (in the implementation-defined range; 429 in spirit). */
export const RATE_LIMITED_CODE = -32029;

/** What a refusal is about: the provider (undefined for the hangar's own tools) and the tool, prompt or URI. */
export interface RefusalSubject {
  providerId: string | undefined;
  /** The tool, prompt or resource URI the call named (the method for other requests). */
  subject: string;
  /** A refused tool call's arguments as given, for the audit trail to capture per `audit.capture`. */
  arguments?: Record<string, unknown> | undefined;
}

/**
 * How the security controls say no: every refusal is published on the domain-event bus
 * (ToolInvocationFailed, kind `rejected`, stage `refused` — for metrics, logs and audit) and thrown
 * as the JSON-RPC error the client gets. One per SecurityControls.
 */
export class Refusals {
  constructor(private readonly events: DomainEventBus | undefined) {}

  /** Publishes the refusal and throws its JSON-RPC error. */
  refuse(what: RefusalSubject, caller: Caller, reason: RefusalReason, code: number, message: string, data?: unknown): never {
    this.publish(what, caller, reason, message);
    throw new RpcError(code, message, data);
  }

  /** A rate limit's refusal, when there is one: -32029 with which limit and when to retry. */
  throwIfLimited(refusal: RateLimitRefusal | undefined, what: RefusalSubject, caller: Caller): void {
    if (refusal === undefined) return;
    this.refuse(what, caller, `rate_limited_${refusal.level}`, RATE_LIMITED_CODE, describeRateLimitRefusal(refusal), rateLimitData(refusal));
  }

  /**
   * A refused call never becomes a call of a provider, so no request carries its arguments: they
   * travel with the refusal (`what.arguments`), and the audit trail captures them as it does a
   * call's (none, size and keyed hash, or in full, per `audit.capture`).
   */
  publish(what: RefusalSubject, caller: Caller, reason: RefusalReason, message: string): void {
    this.events?.publish("security", {
      type: "ToolInvocationFailed",
      providerId: what.providerId ?? "",
      tool: what.subject,
      correlationId: newCorrelationId(),
      ...(caller.principal === undefined ? {} : { principal: caller.principal }),
      kind: "rejected",
      message,
      refusal: reason,
      // Never reached the provider: not one of its calls (audit replay counts by this).
      stage: "refused",
      ...(what.arguments === undefined ? {} : { arguments: what.arguments }),
    });
  }
}

/** The `data` of a -32029 error: which limit, and when to retry. */
export function rateLimitData(refusal: RateLimitRefusal): Record<string, unknown> {
  return { limit: refusal.level, retry_after_ms: refusal.retryAfterMs, retry_after_s: refusal.retryAfterMs / 1000 };
}

export function notAllowedMessage(caller: Caller, flatName: string): string {
  return `tool '${flatName}' is not available to principal '${caller.principal ?? ""}' (http.auth.principals.${caller.principal ?? ""}.allow_tools)`;
}

export function invalidArgumentsText(providerId: string, toolName: string, violations: readonly ArgumentViolation[]): string {
  const lines = violations.map((violation) => `- ${violation.path === "" ? "(arguments)" : violation.path}: ${violation.message}`);
  return (
    `invalid arguments for tool '${toolName}' of provider '${providerId}' — the provider was not called. ` +
    `Fix these and call again:\n${lines.join("\n")}`
  );
}
