import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { BreakerStateName, ProviderStateName, StampedDomainEvent } from "../shared/domain-events.js";
import type { DomainEventBus } from "./domain-event-bus.js";
import { registerGroupMetrics } from "./group-metrics.js";
import { scrapedGauge, scrapedStateGauge } from "./scraped-gauges.js";

/**
 * Prometheus metrics, fed by one observer of the domain-event bus (nothing in the charts or the
 * transports knows about metrics) plus a few gauges read from the runtime at scrape time.
 * See docs/metrics.md for the metrics, their labels and example queries.
 *
 * Label values are bounded: `provider` is always a configured provider id, `tool` a tool the
 * provider lists (live or predefined) or `other`, `outcome` a failure kind.
 */

export interface MetricsOptions {
  /** Node's default process metrics (CPU, memory, event loop, GC); default true. */
  defaultMetrics?: boolean;
  /** Buckets of mcp_hangar_tool_call_duration_seconds. */
  callDurationBuckets?: number[];
  /** Buckets of mcp_hangar_provider_cold_start_seconds. */
  coldStartBuckets?: number[];
}

export interface HangarMetrics {
  /** The Content-Type of `render()`'s text (Prometheus text exposition format). */
  readonly contentType: string;
  /** Every metric in the Prometheus text format, gauges read from the runtime now. */
  render(): Promise<string>;
  /** The HTTP front end reports its number of open sessions here (mcp_hangar_http_sessions). */
  setHttpSessions(count: number): void;
  /** Stops observing the bus and empties the registry. Idempotent. */
  close(): void;
}

export const PROVIDER_STATES: readonly ProviderStateName[] = ["COLD", "INITIALIZING", "READY", "DEGRADED", "RECOVERING", "DEAD"];

/** mcp_hangar_circuit_state's values. */
export const CIRCUIT_STATE_VALUES: Readonly<Record<BreakerStateName, number>> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

/** The `tool` label of calls to a tool the provider does not list. */
export const OTHER_TOOL = "other";

// Calls range from a cached lookup (ms) to long jobs extended by progress (max_call_s, 600 s).
const CALL_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
// A start is spawn + MCP initialize + tools/list: tens of ms for a local script, seconds for npx.
const COLD_START_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120];

type CounterChild = Counter.Internal;
type HistogramChild = Histogram.Internal<"provider" | "tool">;

/** The labelled children of one (provider, tool label): the hot path's whole cost is finding this. */
interface ToolSeries {
  duration: HistogramChild;
  /** by outcome (failure kind); at most nine entries. */
  outcomes: Map<string, CounterChild>;
}

interface ProviderSeries {
  id: string;
  /** Names of the tools the provider lists; undefined until needed again after a tools change. */
  listed: Set<string> | undefined;
  /** Series of listed tools, by tool name. Unlisted names are never keys here (they are unbounded). */
  tools: Map<string, ToolSeries>;
  other: ToolSeries | undefined;
  startOk: CounterChild;
  startFailed: CounterChild;
  coldStart: Histogram.Internal<"provider">;
  restarts: CounterChild;
  idleStops: CounterChild;
  healthOk: CounterChild;
  healthFailed: CounterChild;
  circuitTrips: CounterChild;
}

export function createMetrics(bus: DomainEventBus, runtime: HangarRuntime, options: MetricsOptions = {}): HangarMetrics {
  const registry = new Registry();
  const registers = [registry];

  const toolCalls = new Counter({
    name: "mcp_hangar_tool_calls_total",
    help: "Tool calls that reached a provider, by outcome: ok, tool_error (the tool answered isError) or the failure kind (timeout, transport, crash, start_failed, cancelled, unavailable, ...). tool is 'other' for tools the provider does not list.",
    labelNames: ["provider", "tool", "outcome"] as const,
    registers,
  });
  const callDuration = new Histogram({
    name: "mcp_hangar_tool_call_duration_seconds",
    help: "Duration of tool calls, every outcome, from the hangar sending the call to its answer (calls that waited for a start count from when they were sent).",
    labelNames: ["provider", "tool"] as const,
    buckets: options.callDurationBuckets ?? CALL_DURATION_BUCKETS,
    registers,
  });
  const providerStarts = new Counter({
    name: "mcp_hangar_provider_starts_total",
    help: "Provider starts, by outcome: ok (initialized; tools listed, or predefined) or start_failed.",
    labelNames: ["provider", "outcome"] as const,
    registers,
  });
  const coldStart = new Histogram({
    name: "mcp_hangar_provider_cold_start_seconds",
    help: "Time from a start being requested (first call, registry_start, warm-up, restart) to the provider being READY.",
    labelNames: ["provider"] as const,
    buckets: options.coldStartBuckets ?? COLD_START_BUCKETS,
    registers,
  });
  const restarts = new Counter({
    name: "mcp_hangar_provider_restarts_total",
    help: "Restarts by the recovery saga after a crash.",
    labelNames: ["provider"] as const,
    registers,
  });
  const idleStops = new Counter({
    name: "mcp_hangar_idle_stops_total",
    help: "Stops after idle_ttl_s without a call in flight.",
    labelNames: ["provider"] as const,
    registers,
  });
  const healthChecks = new Counter({
    name: "mcp_hangar_health_checks_total",
    help: "Health probes, by outcome: ok or failed.",
    labelNames: ["provider", "outcome"] as const,
    registers,
  });
  const circuitTrips = new Counter({
    name: "mcp_hangar_circuit_trips_total",
    help: "Times the circuit breaker opened (from closed, or again after a failed half-open trial).",
    labelNames: ["provider"] as const,
    registers,
  });

  const callsRefused = new Counter({
    name: "mcp_hangar_calls_refused_total",
    help: "Calls a security control refused before they reached a provider, by reason: rate_limited_provider, rate_limited_tool, rate_limited_principal, invalid_arguments, not_allowed. provider is empty for the hangar's own registry tools.",
    labelNames: ["provider", "reason"] as const,
    registers,
  });

  // Read at scrape time (scraped-gauges.ts): the runtime's views are the truth.
  const perProvider = (name: string, help: string) => ({ name, help, label: "provider", registers, ids: () => runtime.providerIds() });
  scrapedStateGauge(
    perProvider("mcp_hangar_provider_state", `Provider lifecycle state: 1 for the current state, 0 for the others (states ${PROVIDER_STATES.join(", ")}).`),
    PROVIDER_STATES,
    (id) => runtime.view(id)?.state,
  );
  scrapedGauge(perProvider("mcp_hangar_circuit_state", "Circuit breaker state: 0 closed, 1 half-open, 2 open."), (id) => {
    const view = runtime.view(id);
    return view === undefined ? undefined : CIRCUIT_STATE_VALUES[view.breaker.state];
  });
  scrapedGauge(perProvider("mcp_hangar_inflight_calls", "Calls the provider is handling now, plus calls queued while it starts."), (id) => {
    const view = runtime.view(id);
    return view === undefined ? undefined : view.inFlight + view.queued;
  });
  const httpSessions = new Gauge({
    name: "mcp_hangar_http_sessions",
    help: "Open sessions of the HTTP front end (0 in stdio mode).",
    registers,
  });
  httpSessions.set(0);

  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // promtool refuses non-counters named *_total (prom-client's nodejs_active_{handles,requests,
    // resources}_total); each is the sum over its labelled sibling, so nothing is lost.
    for (const metric of registry.getMetricsAsArray()) {
      const { name } = metric as unknown as { name: string };
      if (name.endsWith("_total") && !(metric instanceof Counter)) registry.removeSingleMetric(name);
    }
  }

  const providers = new Map<string, ProviderSeries>();

  const newToolSeries = (providerId: string, tool: string): ToolSeries => ({
    duration: callDuration.labels(providerId, tool),
    outcomes: new Map(),
  });

  const addProvider = (id: string): ProviderSeries => {
    // Counters start at 0 so that rate() and increase() see their first increment.
    const series: ProviderSeries = {
      id,
      listed: undefined,
      tools: new Map(),
      other: undefined,
      startOk: providerStarts.labels(id, "ok"),
      startFailed: providerStarts.labels(id, "start_failed"),
      coldStart: coldStart.labels(id),
      restarts: restarts.labels(id),
      idleStops: idleStops.labels(id),
      healthOk: healthChecks.labels(id, "ok"),
      healthFailed: healthChecks.labels(id, "failed"),
      circuitTrips: circuitTrips.labels(id),
    };
    for (const child of [series.startOk, series.startFailed, series.restarts, series.idleStops, series.healthOk, series.healthFailed, series.circuitTrips]) {
      child.inc(0);
    }
    providers.set(id, series);
    return series;
  };
  for (const id of runtime.providerIds()) addProvider(id);

  /** Only configured providers become labels (a provider added later is picked up on its first event). */
  const providerSeries = (id: string): ProviderSeries | undefined =>
    providers.get(id) ?? (runtime.hasProvider(id) ? addProvider(id) : undefined);

  /** A tool's series: cached for listed tools, the shared `other` series for the rest. */
  const toolSeries = (provider: ProviderSeries, tool: string): ToolSeries => {
    const cached = provider.tools.get(tool);
    if (cached !== undefined) return cached;
    provider.listed ??= new Set(runtime.tools(provider.id).map((listed) => listed.tool.name));
    if (provider.listed.has(tool)) {
      const series = newToolSeries(provider.id, tool);
      provider.tools.set(tool, series);
      return series;
    }
    return (provider.other ??= newToolSeries(provider.id, OTHER_TOOL));
  };

  const countCall = (providerId: string, tool: string, outcome: string, durationMs: number | undefined): void => {
    const provider = providerSeries(providerId);
    if (provider === undefined) return;
    const series = toolSeries(provider, tool);
    let counter = series.outcomes.get(outcome);
    if (counter === undefined) {
      counter = toolCalls.labels(providerId, series === provider.other ? OTHER_TOOL : tool, outcome);
      series.outcomes.set(outcome, counter);
    }
    counter.inc();
    if (durationMs !== undefined) series.duration.observe(durationMs / 1000);
  };

  const observe = (event: StampedDomainEvent): void => {
    switch (event.type) {
      // The hot path: one per call.
      case "ToolInvocationCompleted":
      case "ToolInvocationFailed":
        countCall(event.providerId, event.tool, event.kind, event.durationMs);
        if (event.type === "ToolInvocationFailed" && event.refusal !== undefined) callsRefused.labels(runtime.hasProvider(event.providerId) ? event.providerId : "", event.refusal).inc();
        return;
      case "ProviderStarted": {
        const provider = providerSeries(event.providerId);
        provider?.startOk.inc();
        provider?.coldStart.observe(event.durationMs / 1000);
        return;
      }
      case "ProviderStopped": {
        if (event.reason === "start_failed") providerSeries(event.providerId)?.startFailed.inc();
        else if (event.reason === "idle") providerSeries(event.providerId)?.idleStops.inc();
        return;
      }
      case "ProviderToolsChanged": {
        // Re-read the listed tools on the next call; series already created stay as they are.
        const provider = providerSeries(event.providerId);
        if (provider !== undefined) {
          provider.listed = undefined;
          provider.tools.clear();
        }
        return;
      }
      case "ProviderRestarted":
        providerSeries(event.providerId)?.restarts.inc();
        return;
      case "HealthCheckPassed":
        providerSeries(event.providerId)?.healthOk.inc();
        return;
      case "HealthCheckFailed":
        providerSeries(event.providerId)?.healthFailed.inc();
        return;
      case "CircuitOpened":
        providerSeries(event.providerId)?.circuitTrips.inc();
        return;
      default:
        return;
    }
  };

  const stopObserving = bus.subscribe(observe);
  const stopGroupMetrics = registerGroupMetrics(registry, bus, runtime);
  let unsubscribe: (() => void) | undefined = () => {
    stopObserving();
    stopGroupMetrics();
  };

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    setHttpSessions: (count) => {
      httpSessions.set(count);
    },
    close: () => {
      unsubscribe?.();
      unsubscribe = undefined;
      registry.clear();
    },
  };
}
