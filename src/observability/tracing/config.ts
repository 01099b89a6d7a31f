import type { LangfuseSpec, ObservabilitySpec } from "../../config/types.js";

/**
 * What tracing and Langfuse will do, settled once at start-up from the config's
 * `observability.tracing` / `observability.langfuse` and the environment. The config wins for
 * what it says; the standard OTEL_* variables fill in what it leaves out; MCP_TRACING_ENABLED
 * switches tracing on or off whatever the config says, and OTEL_SDK_DISABLED=true turns both off.
 */
export interface TracingSettings {
  /** Spans go to the OTLP/HTTP collector. */
  otlp: { tracesUrl: string } | undefined;
  /** Spans (as observations) and scores go to Langfuse. */
  langfuse: LangfuseSpec | undefined;
  serviceName: string;
  /** Share of tool-call traces started here that are recorded (a continued trace follows its parent's choice). */
  sampleRatio: number;
  /** Share of health probes recorded; 0 = none. */
  probeSampleRatio: number;
}

export const DEFAULT_OTLP_ENDPOINT = "http://localhost:4318";
export const DEFAULT_SERVICE_NAME = "mcp-hangar";
const TRACES_PATH = "/v1/traces";

/** undefined: neither tracing nor Langfuse is on, and nothing of the SDK is loaded. */
export function resolveTracingSettings(observability: ObservabilitySpec, env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (envFlag(env.OTEL_SDK_DISABLED) === true) return undefined;
  const tracing = observability.tracing;
  const tracingOn = envFlag(env.MCP_TRACING_ENABLED) ?? tracing?.enabled ?? false;
  const langfuse = observability.langfuse?.enabled === true ? observability.langfuse : undefined;
  if (!tracingOn && langfuse === undefined) return undefined;
  return {
    otlp: tracingOn ? { tracesUrl: tracesUrl(tracing?.otlpEndpoint, env) } : undefined,
    langfuse,
    serviceName: tracing?.serviceName ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? DEFAULT_SERVICE_NAME,
    sampleRatio: tracing?.sampleRatio ?? envRatio(env) ?? 1,
    probeSampleRatio: tracing?.probeSampleRatio ?? 0,
  };
}

/**
 * The config's base URL gets /v1/traces appended; so does OTEL_EXPORTER_OTLP_ENDPOINT, while
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is the full URL already (as the OTel spec says).
 */
function tracesUrl(configured: string | undefined, env: NodeJS.ProcessEnv): string {
  if (configured !== undefined) return appendTracesPath(configured);
  const signalUrl = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  if (signalUrl !== undefined) return signalUrl;
  return appendTracesPath(nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT) ?? DEFAULT_OTLP_ENDPOINT);
}

function appendTracesPath(base: string): string {
  return `${base.replace(/\/+$/, "")}${TRACES_PATH}`;
}

/** OTEL_TRACES_SAMPLER_ARG, read only for the ratio samplers it belongs to. */
function envRatio(env: NodeJS.ProcessEnv): number | undefined {
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler !== undefined && !sampler.includes("traceidratio")) return undefined;
  const value = Number(env.OTEL_TRACES_SAMPLER_ARG);
  return env.OTEL_TRACES_SAMPLER_ARG !== undefined && value >= 0 && value <= 1 ? value : undefined;
}

function envFlag(value: string | undefined): boolean | undefined {
  const text = value?.trim().toLowerCase();
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
