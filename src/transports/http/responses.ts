import type { ServerResponse } from "node:http";

/**
 * The few ways the HTTP front end answers by itself. Errors are JSON-RPC error objects (id null),
 * as the MCP transports write them, so an MCP client shows the message as it is.
 */

/** The SDK's own code for "session not found"; clients treat it as "initialize again". */
export const SESSION_NOT_FOUND = -32001;
/** Generic server error code of the transports (400/401/403/413 bodies). */
export const TRANSPORT_ERROR = -32000;
export const PARSE_ERROR = -32700;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(text);
}

export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null }, headers);
}
