import type { ProviderStateName } from "../shared/domain-events.js";
import type { ProviderView } from "../machines/provider-view.js";

export type OverallHealth = "healthy" | "degraded" | "failing";

export interface ProviderHealth {
  id: string;
  state: ProviderStateName;
  healthy: boolean;
  calls: number;
  failures: number;
  lastError: { kind: string; message: string; at: string } | undefined;
}

export interface HealthSummary {
  status: OverallHealth;
  providers: number;
  byState: Record<ProviderStateName, number>;
  unhealthy: string[];
  details: ProviderHealth[];
}

/**
 * A provider is unhealthy when it is DEGRADED or DEAD, or when its last start or run ended in a
 * fault it has not recovered from (COLD with a kept error). The hangar is failing when no
 * provider is healthy, degraded when some are not, healthy otherwise — computed, never assumed.
 */
export function isProviderHealthy(view: ProviderView): boolean {
  if (view.state === "DEGRADED" || view.state === "RECOVERING" || view.state === "DEAD") return false;
  return !(view.state === "COLD" && view.lastError !== undefined);
}

export function summarizeHealth(views: ProviderView[]): HealthSummary {
  const byState: Record<ProviderStateName, number> = { COLD: 0, INITIALIZING: 0, READY: 0, DEGRADED: 0, RECOVERING: 0, DEAD: 0 };
  const details = views.map((view): ProviderHealth => {
    byState[view.state] += 1;
    return {
      id: view.id,
      state: view.state,
      healthy: isProviderHealthy(view),
      calls: view.stats.calls,
      failures: view.stats.failures,
      lastError: view.lastError
        ? { kind: view.lastError.kind, message: view.lastError.message, at: new Date(view.lastError.at).toISOString() }
        : undefined,
    };
  });
  const unhealthy = details.filter((detail) => !detail.healthy).map((detail) => detail.id);
  let status: OverallHealth = "healthy";
  if (unhealthy.length > 0) status = unhealthy.length === views.length ? "failing" : "degraded";
  return { status, providers: views.length, byState, unhealthy, details };
}
