import type { HangarRuntime } from "../../runtime/hangar-runtime.js";
import { summarizeHealth } from "../../runtime/health-summary.js";
import type { ProviderView } from "../../machines/provider-view.js";

/**
 * `/health` (liveness) and `/ready` (readiness), for load balancers and orchestrators. Neither
 * needs a token, and neither depends on a provider being READY: providers start lazily, so a
 * hangar with every provider COLD is healthy and ready. Both report each provider's state.
 */

export interface ProbeResponse {
  status: 200 | 503;
  body: Record<string, unknown>;
}

interface ProviderRow {
  id: string;
  state: string;
  breaker: string;
  in_flight: number;
}

function providerRows(views: ProviderView[]): ProviderRow[] {
  return views.map((view) => ({ id: view.id, state: view.state, breaker: view.breaker.state, in_flight: view.inFlight }));
}

/** Snapshots only: a stopped actor system still has its last snapshots, and answers no messages. */
function views(runtime: HangarRuntime): ProviderView[] {
  return runtime.providerIds().flatMap((id) => {
    const view = runtime.view(id);
    return view === undefined ? [] : [view];
  });
}

/** Liveness: 200 while the actor system runs, 503 once it has stopped (or before it started). */
export function healthResponse(runtime: HangarRuntime): ProbeResponse {
  const system = runtime.systemStatus();
  const all = views(runtime);
  return {
    status: system === "running" ? 200 : 503,
    body: {
      status: system === "running" ? "ok" : "unavailable",
      system,
      // The providers' own health, for people: it does not change the status code.
      providers_health: summarizeHealth(all).status,
      providers: providerRows(all),
    },
  };
}

export interface ReadinessInput {
  runtime: HangarRuntime;
  /** Config loaded and valid (always true once the server runs; reported for completeness). */
  configLoaded: boolean;
  /** The HTTP server accepts new requests (false once shutdown began). */
  accepting: boolean;
}

/** Readiness: config loaded, supervisor running, HTTP accepting. Provider states are reported, never required. */
export function readinessResponse({ runtime, configLoaded, accepting }: ReadinessInput): ProbeResponse {
  const supervisor = runtime.systemStatus() === "running";
  const ready = configLoaded && supervisor && accepting;
  const all = views(runtime);
  return {
    status: ready ? 200 : 503,
    body: {
      status: ready ? "ready" : "not_ready",
      checks: { config: configLoaded, supervisor, http: accepting },
      providers: providerRows(all),
    },
  };
}
