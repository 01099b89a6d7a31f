import { isSpanContextValid, trace } from "@opentelemetry/api";

/**
 * The ids of the span a log line is written in, for `setLogCorrelation`. Only a span still open
 * counts: async work started inside a call — a provider process the call cold-started, its
 * stderr, its exit — keeps that call's context long after the call ended, and its lines must not
 * claim to belong to it.
 */
export function activeSpanIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined || !span.isRecording()) return undefined;
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return undefined;
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
