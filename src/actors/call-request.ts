import type { Request } from "@modelcontextprotocol/sdk/types.js";
import type { ToolCall } from "../machines/call.js";

/**
 * The JSON-RPC request a call sends to its provider: `tools/call`, or — for a call that carries
 * another method (resources/read, prompts/get, …, see ToolCall.request) — that method with its
 * params. `meta` is the `_meta` to send (the client's, or one with the hangar's progress token).
 */
export function callRequest(call: ToolCall, meta: Record<string, unknown> | undefined): Request {
  const request = call.request;
  if (request === undefined) return { method: "tools/call", params: { name: call.tool, arguments: call.arguments, _meta: meta } };
  return { method: request.method, params: meta === undefined ? request.params : { ...request.params, _meta: meta } };
}
