import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";

/** How MCP request errors read: our own timeouts, the provider's JSON-RPC errors, plain text. */

/**
 * The SDK raises RequestTimeout (with `data.timeout`) when our own deadline passes; a provider
 * may also answer with code -32001 itself, which is its error to forward, not our timeout.
 */
export function isOwnTimeout(error: McpError, timeoutMs: number): boolean {
  const data: unknown = error.data;
  return typeof data === "object" && data !== null && (data as { timeout?: unknown }).timeout === timeoutMs;
}

/** An error the provider sent as its answer (as opposed to our own timeout or a closed channel). */
export function isProviderRpcError(error: unknown, timeoutMs: number): error is McpError {
  if (!(error instanceof McpError)) return false;
  if (error.code === (ErrorCode.ConnectionClosed as number)) return false;
  return !(error.code === (ErrorCode.RequestTimeout as number) && isOwnTimeout(error, timeoutMs));
}

/** McpError prefixes "MCP error <code>: "; the front end forwards the provider's own message. */
export function providerMessage(error: McpError): string {
  const prefix = `MCP error ${error.code}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
