/**
 * The one classification of how a call or a start ended. Every consumer — errors shown to
 * clients, metrics labels, the circuit breaker, retries, the audit log — uses these names, so
 * a "timeout" means the same thing everywhere.
 */
export const FAILURE_KINDS = [
  "ok",
  "tool_error", // the tool answered with isError: the tool's business, not the provider's health
  "timeout", // no answer within call_timeout_s / startup_timeout_s
  "transport", // the MCP channel broke (bad message, closed pipe) while the process lived
  "crash", // the provider process exited while calls were in flight or it was starting/running
  "start_failed", // the process could not be spawned or did not complete MCP initialization
  "cancelled", // the caller gave up (client cancellation, hangar shutdown)
  "rejected", // the hangar refused the call before it reached the provider (unknown tool, policy)
  "unavailable", // the provider cannot take calls now (stopping, dead)
] as const;

export type FailureKind = (typeof FAILURE_KINDS)[number];

/** Kinds that say something about the provider's health (what a breaker would count). */
export const PROVIDER_FAULT_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>([
  "timeout",
  "transport",
  "crash",
  "start_failed",
]);

export function isProviderFault(kind: FailureKind): boolean {
  return PROVIDER_FAULT_KINDS.has(kind);
}
