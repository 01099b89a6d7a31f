/* eslint-disable @typescript-eslint/no-deprecated -- the legacy SSE client is used on purpose, for servers that
   speak nothing else (the MCP spec's backwards-compatibility rule); streamable HTTP is tried first. */
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RemoteProviderSpec, RemoteTransportKind } from "../config/types.js";

export type RemoteTransport = StreamableHTTPClientTransport | SSEClientTransport;

/** The transports to try, in order: the configured one, or streamable HTTP then legacy SSE. */
export function transportKinds(spec: RemoteProviderSpec): RemoteTransportKind[] {
  return spec.transport === undefined ? ["streamable-http", "sse"] : [spec.transport];
}

/** A fresh client transport (no session yet) sending the configured headers with every request. */
export function createRemoteTransport(spec: RemoteProviderSpec, kind: RemoteTransportKind): RemoteTransport {
  const url = new URL(spec.url);
  const requestInit: RequestInit = { headers: spec.headers };
  if (kind === "sse") return new SSEClientTransport(url, { requestInit });
  // The standalone GET stream only carries server-initiated messages; a lost session shows on
  // the next POST, so a couple of reconnection attempts is enough.
  return new StreamableHTTPClientTransport(url, {
    requestInit,
    reconnectionOptions: { initialReconnectionDelay: 500, maxReconnectionDelay: 5_000, reconnectionDelayGrowFactor: 2, maxRetries: 2 },
  });
}

/**
 * Whether initializing over streamable HTTP failed in the way a legacy SSE-only server fails
 * (the MCP spec's backwards-compatibility rule: a 4xx to the initialize POST means "try SSE").
 */
export function suggestsLegacySse(error: unknown): boolean {
  return error instanceof StreamableHTTPError && error.code !== undefined && error.code >= 400 && error.code < 500 && error.code !== 401 && error.code !== 403;
}

/** The server no longer knows our session: 404 on a known session (the spec), or 400 "no valid session" (servers that route sessions themselves). */
export function isSessionLost(error: unknown): boolean {
  if (error instanceof StreamableHTTPError) {
    return error.code === 404 || (error.code === 400 && /session/i.test(error.message));
  }
  // The SSE client reports a POST to a vanished session endpoint as a plain Error with the status.
  return error instanceof Error && /^Error POSTing to endpoint \(HTTP 404\)/.test(error.message);
}

/** The server could not be reached at all (refused, reset, DNS): fetch's TypeError and its cause. */
export function isUnreachable(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  return error.message === "fetch failed" || /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH/.test(String(error.cause));
}

/** The negotiated protocol version, as the transport holds it after initialize. */
export function transportProtocolVersion(transport: RemoteTransport): string | undefined {
  return transport instanceof StreamableHTTPClientTransport ? transport.protocolVersion : undefined;
}
