import type { Span } from "@opentelemetry/api";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { LangfuseClient } from "@langfuse/client";
import { configureGlobalLogger, getGlobalLogger, LogLevel } from "@langfuse/core";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { createObservationAttributes, LangfuseOtelSpanAttributes } from "@langfuse/tracing";
import type { LangfuseSpec } from "../../config/types.js";
import type { CallOutcome } from "../../machines/call.js";
import { redactor } from "../../shared/redaction.js";
import type { Logger } from "../log.js";
import type { CallSpanDecorator } from "./call-spans.js";
import { HANGAR_TRACER_NAME, type TracedCall } from "./call-tracer.js";
import { throttledWarnings } from "./diagnostics.js";

/** Probes are operations noise for Langfuse, whatever the OTLP side samples. */
const PROBE_SPAN = "mcp.health_probe";
/** Langfuse's own default is 5 s; an unreachable host must not hold shutdown long. */
const EXPORT_TIMEOUT_S = 3;

/**
 * Langfuse through its OpenTelemetry SDK: a LangfuseSpanProcessor on the hangar's tracer
 * provider exports the same spans the OTLP collector gets, each tool call's span typed as a
 * Langfuse `tool` observation (with provider, tool, user and session), and every outcome is
 * recorded as scores (success, latency, error kind) through the Langfuse client. Arguments and
 * results go only when configured, through the one redactor.
 */
export interface LangfuseExport {
  processor: SpanProcessor;
  decorator: CallSpanDecorator;
  shutdown(): Promise<void>;
}

export function createLangfuseExport(spec: LangfuseSpec, log: Logger): LangfuseExport {
  // Its logger writes INFO with console.info — stdout, the stdio MCP channel — and warnings and
  // errors with console.error, stack traces and all, past the log's format and redaction (a host
  // that is down fails every score batch). Warnings and errors go to the hangar's log instead.
  configureGlobalLogger({ level: LogLevel.WARN });
  const sdkLogger = getGlobalLogger();
  sdkLogger.error = sdkLogger.warn = throttledWarnings(log, "langfuse");
  const processor = new LangfuseSpanProcessor({
    publicKey: spec.publicKey,
    secretKey: spec.secretKey,
    baseUrl: spec.host,
    timeout: EXPORT_TIMEOUT_S,
    mediaUploadEnabled: false,
    // The hangar's spans (Langfuse's default filter keeps only LLM libraries' spans).
    shouldExportSpan: ({ otelSpan }) => otelSpan.instrumentationScope.name === HANGAR_TRACER_NAME && otelSpan.name !== PROBE_SPAN,
    // A second line of defence: whatever reaches an input, output or metadata field is redacted.
    mask: ({ data }: { data: unknown }) => redactor.redactValue(data),
  });
  const client = new LangfuseClient({ publicKey: spec.publicKey, secretKey: spec.secretKey, baseUrl: spec.host, timeout: EXPORT_TIMEOUT_S });
  return {
    processor,
    decorator: new LangfuseCallDecorator(spec, client),
    shutdown: async () => {
      await client.shutdown();
    },
  };
}

class LangfuseCallDecorator implements CallSpanDecorator {
  constructor(
    private readonly spec: LangfuseSpec,
    private readonly client: LangfuseClient,
  ) {}

  started(span: Span, call: TracedCall): void {
    if (!span.isRecording()) return;
    const metadata: Record<string, string> = { provider: call.providerId, tool: call.tool };
    if (call.principal !== undefined) metadata.user = call.principal;
    if (call.sessionId !== undefined) metadata.session = call.sessionId;
    span.setAttributes(
      createObservationAttributes("tool", {
        metadata,
        ...(this.spec.captureInputs ? { input: redactor.redactValue(call.arguments ?? {}) } : {}),
      }),
    );
    if (call.principal !== undefined) span.setAttribute(LangfuseOtelSpanAttributes.TRACE_USER_ID, call.principal);
    if (call.sessionId !== undefined) span.setAttribute(LangfuseOtelSpanAttributes.TRACE_SESSION_ID, call.sessionId);
  }

  ended(span: Span, call: TracedCall, outcome: CallOutcome, durationMs: number): void {
    if (!span.isRecording()) return;
    const failed = outcome.kind !== "ok";
    span.setAttributes(
      createObservationAttributes("tool", {
        ...(failed ? { level: "ERROR", statusMessage: redactor.redact(statusMessage(outcome)) } : {}),
        ...(this.spec.captureOutputs ? { output: redactor.redactValue(outputOf(outcome)) } : {}),
      }),
    );
    const metadata = { provider: call.providerId, tool: call.tool };
    const observation = { otelSpan: span };
    this.client.score.observation(observation, { name: "success", value: failed ? 0 : 1, dataType: "BOOLEAN", metadata });
    this.client.score.observation(observation, { name: "latency_ms", value: Math.round(durationMs), dataType: "NUMERIC", metadata });
    if (failed) this.client.score.observation(observation, { name: "error_kind", value: outcome.kind, dataType: "CATEGORICAL", metadata });
  }
}

function statusMessage(outcome: CallOutcome): string {
  return outcome.status === "result" ? "the tool answered with isError" : outcome.message;
}

function outputOf(outcome: CallOutcome): unknown {
  switch (outcome.status) {
    case "result":
      return outcome.result;
    case "rpc_error":
      return { code: outcome.code, message: outcome.message };
    case "failure":
      return { kind: outcome.kind, message: outcome.message };
  }
}
