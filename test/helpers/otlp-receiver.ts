import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { waitFor } from "./wait.js";

/**
 * A small HTTP server standing in for an OTLP/HTTP collector or a Langfuse host. It keeps every
 * request (path, headers, body) and decodes the OTLP JSON the exporters really send into flat
 * spans, and counts connections — so a test can also prove that nobody connected.
 */

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code?: number; message?: string };
  /** The instrumentation scope that made it. */
  scope: string;
  /** Resource attributes (service.name, …). */
  resource: Record<string, unknown>;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: ReceivedRequest[];
  /** TCP connections accepted so far. */
  connections: () => number;
  /** Every span in every OTLP request received at a path ending in `/v1/traces`. */
  spans: () => ReceivedSpan[];
  /** Resolves with the first span `match` accepts; fails with the spans seen after `timeoutMs`. */
  waitForSpan: (match: (span: ReceivedSpan) => boolean, what: string, timeoutMs?: number) => Promise<ReceivedSpan>;
  close: () => Promise<void>;
}

export interface ReceiverOptions {
  /** Accept connections but never answer (a collector that hangs). */
  hang?: boolean;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(parts).toString("utf8") });
      if (options.hang === true) return;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(req.url?.includes("/ingestion") === true ? '{"successes":[],"errors":[]}' : "{}");
    });
  });
  server.on("connection", (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const spans = (): ReceivedSpan[] => requests.filter((request) => request.path.endsWith("/v1/traces")).flatMap((request) => decodeOtlpJson(request.body));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    spans,
    waitForSpan: async (match, what, timeoutMs = 10_000) => {
      try {
        return await waitFor(() => spans().find(match), timeoutMs, what);
      } catch (error) {
        throw new Error(`${String(error)}\nspans received: ${spans().map((span) => span.name).join(", ") || "(none)"}`);
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** A port nothing listens on (bound, then closed): connections to it are refused. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return `http://127.0.0.1:${port}`;
}

// ---- OTLP/JSON (ExportTraceServiceRequest), as @opentelemetry/exporter-trace-otlp-http sends it ----

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  events?: { name: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[];
  }[];
}

export function decodeOtlpJson(body: string): ReceivedSpan[] {
  const request = JSON.parse(body) as OtlpRequest;
  const out: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        out.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId === undefined || span.parentSpanId === "" ? undefined : span.parentSpanId,
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
          events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
          status: span.status ?? {},
          scope: scopeSpans.scope?.name ?? "",
          resource,
        });
      }
    }
  }
  return out;
}

function attributesOf(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((entry) => [entry.key, valueOf(entry.value)]));
}

function valueOf(value: OtlpAnyValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}
