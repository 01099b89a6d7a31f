import type { CallOutcome, CallTrace } from "../../machines/call.js";

/** Request headers as node:http gives them (the HTTP front end's `traceparent` rides here). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** What the call path knows about a tool call when it starts: the observer's half of a span. */
export interface TracedCall {
  providerId: string;
  tool: string;
  arguments: Record<string, unknown> | undefined;
  correlationId: string;
  principal: string | undefined;
  sessionId: string | undefined;
  /** The request's `_meta`, where an incoming `traceparent` is looked for first. */
  meta: Record<string, unknown> | undefined;
  /** The HTTP request's headers (HTTP front end), looked at when `_meta` has no `traceparent`. */
  headers: RequestHeaders | undefined;
}

/**
 * The one seam between the call path and tracing. The runtime hands each call to `traceCall`,
 * which opens the call's span (continuing an incoming trace), runs `send` inside it with the
 * call's CallTrace, and ends the span with the outcome. Absent when tracing is off: the hot path
 * then pays one `undefined` check. Implemented in call-spans.ts, loaded only when enabled.
 */
export interface CallTracer {
  traceCall(call: TracedCall, send: (trace: CallTrace) => Promise<CallOutcome>): Promise<CallOutcome>;
}

/** The instrumentation scope of every span the hangar makes (Langfuse exports this scope only). */
export const HANGAR_TRACER_NAME = "mcp-hangar";
