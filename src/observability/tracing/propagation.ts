import { ROOT_CONTEXT, trace, type Context, type Span, type TextMapGetter, type TextMapSetter } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { RequestHeaders } from "./call-tracer.js";

/**
 * W3C trace context in and out of a call. MCP carries it in the request's `params._meta`
 * (`traceparent`, `tracestate`), as OpenTelemetry's MCP conventions suggest; the HTTP front end
 * also has the request's headers. The propagator is used directly rather than through the
 * global API, so it works whoever registered what.
 */
const w3c = new W3CTraceContextPropagator();

/** `_meta` values are unknown JSON; only strings count as trace context. */
const metaGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === "string" ? value : undefined;
  },
};

const metaSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** node:http lower-cases header names; a repeated header arrives as an array. */
const headerGetter: TextMapGetter<RequestHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

/**
 * The context a call's span continues: the `traceparent` in `_meta` (the client's own, most
 * specific), else the HTTP header, else none (a new trace).
 */
export function incomingContext(meta: Record<string, unknown> | undefined, headers: RequestHeaders | undefined): Context {
  if (meta !== undefined && typeof meta.traceparent === "string") {
    const context = w3c.extract(ROOT_CONTEXT, meta, metaGetter);
    if (trace.getSpanContext(context) !== undefined) return context;
  }
  if (headers?.traceparent !== undefined) return w3c.extract(ROOT_CONTEXT, headers, headerGetter);
  return ROOT_CONTEXT;
}

/** `traceparent` (and `tracestate`) naming `span`, for a provider request's `_meta`. */
export function outgoingMeta(span: Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  w3c.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, metaSetter);
  return carrier;
}
