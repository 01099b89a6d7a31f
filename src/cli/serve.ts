/**
 * `mcp-hangar [--config …]`: the serving hangar — runtime, front end, audit, tracing, discovery.
 * Loaded by main.ts only to serve, so the one-shot commands (audit, validate, --help) start
 * without it (≈ half the CPU of an `mcp-hangar audit` run was loading this).
 */
import { guardedGroups, terminateAll } from "../actors/process-registry.js";
import { healthProbe } from "../actors/health-probe.js";
import { guardOwnedGroups } from "../actors/group-guardian.js";
import { reapOrphanedGroups, recordOwnedGroups } from "../actors/pgid-state.js";
import { createProviderConnection } from "../actors/provider-connection.js";
import { pendingTeardowns } from "../actors/teardown-registry.js";
import { discoverySources } from "../actors/discovery-sources.js";
import { configReloader } from "../runtime/config-reload.js";
import { compactHeapAfterStartUp } from "../runtime/compact-heap.js";
import { letYoungGenerationServe } from "../runtime/young-generation.js";
import type { Command } from "./args.js";
import { commandConfig, providerCount } from "./read-config.js";
import { httpSpecOf, observabilityOf, stdioSpecOf } from "../config/load.js";
import { configureLog, log } from "../observability/log.js";
import { startAuditTrail } from "../observability/audit/start.js";
import { logDomainEvents } from "../observability/log-observer.js";
import type { HangarMetrics } from "../observability/metrics.js";
import type { RunningInspector } from "../observability/inspector/start.js";
import { resolveTracingSettings } from "../observability/tracing/config.js";
import { startTracing, stopTracing } from "../observability/tracing/start.js";
import { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { MetricsEndpoint } from "../transports/metrics-endpoint.js";
import type { HttpPlan } from "../transports/http/plan.js";
import type { HangarHttpServer } from "../transports/http/server.js";
import { serveStdio, type StdioFrontEnd } from "../transports/stdio.js";
import { STDOUT_FLUSH_TIMEOUT_MS, whenFlushed } from "../transports/stdout-flush.js";
import { ClientHub } from "../transports/client-hub.js";
import { ToolCatalogue } from "../transports/tool-catalogue.js";
import { VERSION } from "../version.js";

/** Slack beyond the longest grace period before shutdown gives up waiting (the exit hook SIGKILLs what is left). */
const SHUTDOWN_SLACK_MS = 1_000;
/** A container's stop and removal are engine round trips on top of its grace period. */
const CONTAINER_REMOVAL_MS = 4_000;

export async function serve(command: Extract<Command, { kind: "serve" }>): Promise<number | undefined> {
  configureLog({ level: command.logLevel, format: command.logFormat });
  const found = commandConfig(command.configPath);
  if (typeof found === "number") return found;
  const { path: configPath, config } = found;

  // --http: address and tokens are settled, and an unsafe bind refused, before anything starts.
  let httpPlan: HttpPlan | undefined;
  if (command.http !== undefined) {
    // Tokens, guards and bind checks are read only when the HTTP front end is asked for.
    const { planHttp } = await import("../transports/http/plan.js");
    const planned = planHttp(httpSpecOf(config), command.http, process.env);
    if (!planned.ok) {
      console.error(`mcp-hangar: ${planned.message}`);
      return planned.exitCode;
    }
    httpPlan = planned.plan;
  }

  // Groups left by a hangar that died without cleaning up (SIGKILL, power loss) are ours to end;
  // then our own groups are recorded so a later hangar can do the same for us.
  const { reaped } = await reapOrphanedGroups();
  if (reaped.length > 0) log.warn(`reaped ${reaped.length} provider process groups left by a hangar that is gone`, { pgids: reaped });
  recordOwnedGroups();
  // And a guardian ends them the moment this hangar dies, however it dies (group-guardian.ts).
  guardOwnedGroups(guardedGroups);
  // Containers too: labelled with their hangar, removed when that hangar is gone.
  // The Engine client and the container modules load only for a config that has containers.
  if (config.providers.some((provider) => provider.mode === "container")) {
    const { cleanUpAtStartup } = await import("../actors/container-leftovers.js");
    await cleanUpAtStartup(config, log);
  }

  // --inspect: the relay must be up before the actors start, so viewers see them from the first one.
  let inspector: RunningInspector | undefined;
  if (command.inspect !== undefined) {
    try {
      const { startInspector } = await import("../observability/inspector/start.js");
      inspector = await startInspector(command.inspect, log);
    } catch (error) {
      console.error(`mcp-hangar: cannot serve the inspector on 127.0.0.1:${command.inspect.port}: ${String(error)}`);
      return 1;
    }
  }

  // The audit trail opens first: replay hands each provider its counters from earlier runs.
  const audit = startAuditTrail(config, log);
  // Providers' sampling, elicitation, roots, logging and resource updates reach clients through the hub.
  const bridge = new ClientHub(log);
  // Tracing and Langfuse: their SDK is loaded only when the config or OTEL_*/MCP_TRACING_ENABLED turn them on.
  const tracing = await startTracing(resolveTracingSettings(observabilityOf(config), process.env), log);
  const runtime = new HangarRuntime(config, {
    ...(audit === undefined ? {} : { records: audit.replay(config.providers.map((spec) => spec.id)), history: audit }),
    callTracer: tracing?.callTracer,
    connection: createProviderConnection({ bridge }),
    bridge,
    healthProbe,
    inspect: inspector?.inspect,
    // Process groups end, remote sessions are closed (DELETE) and containers removed.
    awaitProcessesGone: () => Promise.all([terminateAll(), pendingTeardowns()]).then(() => undefined),
    sources: discoverySources,
    onObserverError: (error) => {
      log.error("an observer failed", { error: String(error) });
    },
  });
  audit?.attach(runtime.events);
  const catalogue = new ToolCatalogue(runtime);
  logDomainEvents(runtime.events, log);
  tracing?.observe(runtime.events);
  // One metrics observer for every front end (--metrics-port here; the HTTP front end mounts it too).
  const metricsSpec = observabilityOf(config).metrics;
  // Metrics are only ever read over HTTP (--metrics-port, or the HTTP front end's endpoint):
  // without a reader, neither prom-client (~1.5 MB resident) nor its observer is loaded.
  const metricsReadable = command.metricsPort !== undefined || httpPlan !== undefined;
  let metrics: HangarMetrics | undefined;
  if (metricsSpec.enabled && metricsReadable) {
    const { createMetrics } = await import("../observability/metrics.js");
    metrics = createMetrics(runtime.events, runtime);
  }
  let metricsEndpoint: MetricsEndpoint | undefined;
  if (command.metricsPort !== undefined && metrics === undefined) {
    log.warn("--metrics-port is ignored: observability.metrics.enabled is false in the config");
  } else if (command.metricsPort !== undefined && metrics !== undefined) {
    try {
      const { serveMetrics } = await import("../transports/metrics-endpoint.js");
      metricsEndpoint = await serveMetrics({
        metrics,
        port: command.metricsPort,
        endpoint: metricsSpec.endpoint,
        onError: (error) => {
          log.error("the metrics endpoint failed", { error: String(error) });
        },
      });
    } catch (error) {
      console.error(`mcp-hangar: cannot serve metrics on 127.0.0.1:${command.metricsPort}: ${String(error)}`);
      return 1;
    }
    log.info(`metrics at ${metricsEndpoint.url}`);
  }

  let httpServer: HangarHttpServer | undefined;
  let stdioFrontEnd: StdioFrontEnd | undefined;
  let exiting = false;
  // Runs once, whoever asks first: a signal, stdout breaking, or stdin's end (after its drain).
  const shutdown = (reason: string, exitCode = 0): void => {
    if (exiting) return;
    exiting = true;
    // A signal is obeyed at once, also while the requests in flight at stdin EOF are being finished.
    stdioFrontEnd?.abandonDrain(reason);
    log.info(`shutting down (${reason})`);
    void metricsEndpoint?.close();
    void inspector?.close();
    reloader.close();
    // SIGTERM, grace, SIGKILL all run in parallel per provider: the longest grace bounds the whole.
    // Every provider running now (discovered and reloaded ones included), containers with their removal time.
    const graces = runtime.providerIds().map((id) => {
      const spec = runtime.spec(id);
      return spec === undefined ? 0 : spec.shutdownGraceS * 1000 + (spec.mode === "container" ? CONTAINER_REMOVAL_MS : 0);
    });
    const deadlineMs = Math.max(0, ...graces) + SHUTDOWN_SLACK_MS;
    const deadline = setTimeout(() => {
      log.error(`shutdown took longer than ${deadlineMs} ms; killing what is left and exiting`);
      audit?.close();
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    // HTTP sessions and connections end first (no new calls), then the providers.
    (httpServer?.close() ?? Promise.resolve())
      .catch((error: unknown) => {
        log.warn("closing the HTTP server failed", { error: String(error) });
      })
      .then(() => runtime.shutdown())
      .then(() => stopTracing(tracing))
      .then(() => {
        // After the providers: their last events (stops at shutdown) are in the final batch.
        audit?.close();
        catalogue.close();
        // The last answers (a drain's, a cut call's) reach a client that reads slowly before the
        // exit drops them; bounded on its own, so the providers' deadline no longer applies.
        clearTimeout(deadline);
        return whenFlushed(process.stdout, STDOUT_FLUSH_TIMEOUT_MS, log);
      })
      .then(() => {
        process.exit(exitCode);
      })
      .catch((error: unknown) => {
        log.error("shutdown failed", { error: String(error) });
        process.exit(1);
      });
  };
  process.once("SIGINT", () => {
    shutdown("SIGINT");
  });
  process.once("SIGTERM", () => {
    shutdown("SIGTERM");
  });
  // SIGHUP reloads the config (as daemons do); watch_config also reloads when the file changes.
  const reloader = configReloader(configPath, config, runtime, log);
  process.on("SIGHUP", () => {
    if (!exiting) void reloader.reload("SIGHUP");
  });

  runtime.start();
  // Start-up's garbage left the heap's pages a quarter empty; compacted before the first request.
  compactHeapAfterStartUp();
  // Serving: the young generation may take one step of growth (half the scavenging under load).
  letYoungGenerationServe();
  if (httpPlan === undefined) {
    // stdin EOF: the requests already read are answered first, within stdio.drain_timeout_s.
    stdioFrontEnd = await serveStdio({ runtime, catalogue, expose: config.expose, drainTimeoutS: stdioSpecOf(config).drainTimeoutS, onGone: shutdown });
    log.info(`mcp-hangar ${VERSION} serving ${providerCount(config.providers.length)} over stdio (config ${config.source})`);
  } else {
    // With --http, stdin/stdout are not an MCP channel (and stdin closing means nothing).
    const { spec } = httpPlan;
    // The HTTP front end (and its share of the SDK) is loaded only when it serves.
    const { MCP_PATH, SSE_PATH, startHttpServer } = await import("../transports/http/server.js");
    try {
      httpServer = await startHttpServer({
        runtime,
        catalogue,
        expose: config.expose,
        host: httpPlan.host,
        port: httpPlan.port,
        sessionIdleS: spec.sessionIdleS,
        maxBodyBytes: spec.maxBodyBytes,
        allowedHosts: spec.allowedHosts,
        allowedOrigins: spec.allowedOrigins,
        authenticator: httpPlan.authenticator,
        metricsAuth: spec.metricsAuth,
        ...(metrics === undefined ? {} : { metrics, metricsPath: metricsSpec.endpoint }),
        onSessionsChanged: (count) => {
          metrics?.setHttpSessions(count);
        },
        log,
      });
    } catch (error) {
      log.error(error instanceof Error ? error.message : String(error));
      shutdown("the HTTP server could not start", 1);
      return undefined;
    }
    const auth = httpPlan.authenticator === undefined ? "no authentication" : `bearer tokens for ${httpPlan.authenticator.names().join(", ")}`;
    log.info(
      `mcp-hangar ${VERSION} serving ${providerCount(config.providers.length)} over HTTP at ${httpServer.url}${MCP_PATH} ` +
        `(legacy SSE at ${httpServer.url}${SSE_PATH}; ${auth}; config ${config.source})`,
    );
  }

  for (const spec of config.providers.filter((provider) => provider.warm)) {
    void runtime.startProvider(spec.id).then((result) => {
      if (!result.ok) log.warn(`warm start of ${spec.id} failed: ${result.message}`, { provider: spec.id });
    });
  }
  return undefined;
}
