import { JSONRPCRequestSchema, type RequestId } from "@modelcontextprotocol/sdk/types.js";

/** The members a JSON-RPC request or notification may have (the SDK's schemas are strict). */
const MEMBERS = new Set(["jsonrpc", "id", "method", "params"]);

/**
 * Why a line's JSON value is not a request or a notification, in words, for the Invalid Request
 * (-32600) answer. The SDK's JSONRPCMessageSchema has judged already; this only names the first
 * thing it trips on, checked in the order a reader looks: a batch, the shape, the version, the
 * method, the id, the params, a member no request has.
 */
export function invalidRequestMessage(value: unknown): string {
  return `Invalid Request: ${whyNotARequest(value)}`;
}

/** The same words without the "Invalid Request:" prefix (a dropped notification is logged with them). */
export function whyNotARequest(value: unknown): string {
  if (Array.isArray(value)) {
    return "a JSON-RPC batch (an array) is not part of MCP (batches were removed in 2025-06-18): send each message on a line of its own";
  }
  if (typeof value !== "object" || value === null) return `a message is a JSON object, not ${kind(value)}`;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return `"jsonrpc" must be "2.0"`;
  if (typeof message.method !== "string") return Object.hasOwn(message, "method") ? `"method" must be a string, not ${kind(message.method)}` : `"method" is missing`;
  if (Object.hasOwn(message, "id") && !isRequestId(message.id)) return `"id" must be a string or an integer, not ${kind(message.id)}`;
  if (Object.hasOwn(message, "params")) {
    const params = message.params;
    if (typeof params !== "object" || params === null || Array.isArray(params)) return `"params" must be an object, not ${kind(params)}`;
    const meta = (params as Record<string, unknown>)._meta;
    if (meta !== undefined) {
      if (typeof meta !== "object" || meta === null || Array.isArray(meta)) return `"params._meta" must be an object, not ${kind(meta)}`;
      const token = (meta as Record<string, unknown>).progressToken;
      if (token !== undefined && !isRequestId(token)) return `"params._meta.progressToken" must be a string or an integer, not ${kind(token)}`;
    }
  }
  const extra = Object.keys(message).filter((key) => !MEMBERS.has(key));
  if (extra.length > 0) return `unexpected member ${extra.map((key) => JSON.stringify(key)).join(", ")} (a request has only jsonrpc, id, method and params)`;
  return "not a JSON-RPC 2.0 request or notification";
}

function isRequestId(value: unknown): boolean {
  return typeof value === "string" || Number.isSafeInteger(value);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? `the number ${String(value)}` : `the fraction ${String(value)}`;
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return String(value);
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * A JSON-RPC notification by JSON-RPC's own rules — version 2.0, a method, no id, params absent,
 * an object or an array, no other member — that MCP's schema refused (by-position params, a
 * malformed `_meta`). JSON-RPC never answers a notification, so such a line is only reported;
 * anything that is not even that is an Invalid Request and is answered.
 */
export function isRefusedNotification(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string" || Object.hasOwn(message, "id")) return false;
  if (Object.hasOwn(message, "params") && (typeof message.params !== "object" || message.params === null)) return false;
  return Object.keys(message).every((key) => MEMBERS.has(key));
}

/** The words of a by-position params problem, for every method alike (tools/call's too). */
export function byPositionParamsText(method: string): string {
  return `${method}: params must be an object, not an array — MCP's params are named (an object); JSON-RPC's by-position params (an array) are not part of MCP`;
}

/**
 * A request that is sound JSON-RPC but for its params: an array, JSON-RPC's by-position params,
 * which MCP never takes. The message is well formed, so it is no Invalid Request (-32600): it is
 * answered -32602 Invalid params with its id, on stdio (the transport, stdio-server-transport.ts)
 * and over HTTP (the router, tool-call-router.ts) alike. Undefined for anything else — a
 * notification too (it has no id to answer), and a request that is wrong in another way as well.
 */
export function byPositionParams(value: unknown): { id: RequestId; message: string } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const request = value as Record<string, unknown>;
  if (!Array.isArray(request.params) || !isRequestId(request.id) || typeof request.method !== "string") return undefined;
  if (!JSONRPCRequestSchema.safeParse({ ...request, params: {} }).success) return undefined;
  return { id: request.id as RequestId, message: byPositionParamsText(request.method) };
}
