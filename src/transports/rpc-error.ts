/**
 * A JSON-RPC error sent to the client with exactly this code, message and data. The SDK's
 * McpError prefixes its message with "MCP error <code>: "; a provider's error forwarded through
 * McpError would carry that prefix twice, so forwarded errors use this instead.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = "RpcError";
  }
}
