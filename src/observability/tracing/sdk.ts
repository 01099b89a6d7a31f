import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { VERSION } from "../../version.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import { setLogCorrelation, type Logger } from "../log.js";
import { CallSpans } from "./call-spans.js";
import { HANGAR_TRACER_NAME, type CallTracer } from "./call-tracer.js";
import type { TracingSettings } from "./config.js";
import { routeDiagnostics } from "./diagnostics.js";
import { activeSpanIds } from "./log-correlation.js";

/** An export to an unreachable collector gives up after this long (it never holds a call). */
const EXPORT_TIMEOUT_MS = 3_000;

export interface RunningTracing {
  callTracer: CallTracer;
  /** Starts reading the actor system's domain events (cold starts, state changes, probes). */
  observe(bus: DomainEventBus): void;
  /** Exports what is still buffered, then stops; never rejects. */
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry Node SDK, set up once. This module (and everything it imports) is loaded
 * with a dynamic import only when tracing or Langfuse is on, so a hangar without them loads no
 * SDK, creates no exporter and opens no connection. Spans are exported in batches, off the call
 * path; the provider is registered globally so the active span follows async work and log lines
 * written inside a span carry its ids.
 */
export async function startTracingSdk(settings: TracingSettings, log: Logger): Promise<RunningTracing> {
  routeDiagnostics(log);
  const processors: SpanProcessor[] = [];
  if (settings.otlp !== undefined) {
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.otlp.tracesUrl, timeoutMillis: EXPORT_TIMEOUT_MS })));
  }
  const langfuse = settings.langfuse === undefined ? undefined : (await import("./langfuse.js")).createLangfuseExport(settings.langfuse, log);
  if (langfuse !== undefined) processors.push(langfuse.processor);

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }),
    // A continued trace keeps its caller's sampling decision; a new one is sampled at the ratio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
    spanProcessors: processors,
  });
  provider.register();
  const spans = new CallSpans(provider.getTracer(HANGAR_TRACER_NAME, VERSION), {
    probeSampleRatio: settings.probeSampleRatio,
    decorators: langfuse === undefined ? [] : [langfuse.decorator],
  });
  setLogCorrelation(activeSpanIds);
  log.info(describe(settings));

  let stopping: Promise<void> | undefined;
  return {
    callTracer: spans,
    observe: (bus) => {
      spans.observe(bus);
    },
    shutdown: () => {
      stopping ??= Promise.allSettled([provider.shutdown(), langfuse?.shutdown()]).then(() => {
        setLogCorrelation(undefined);
      });
      return stopping;
    },
  };
}

function describe(settings: TracingSettings): string {
  const targets = [
    ...(settings.otlp === undefined ? [] : [`OTLP ${settings.otlp.tracesUrl}`]),
    ...(settings.langfuse === undefined ? [] : [`Langfuse ${settings.langfuse.host}`]),
  ];
  return `tracing on: ${targets.join(" and ")} (service ${settings.serviceName}, sample ratio ${settings.sampleRatio})`;
}
