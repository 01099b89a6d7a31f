import { RELATED_TASK_META_KEY, type JSONRPCMessage, type JSONRPCNotification, type JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";

/**
 * The message almost every line of a busy session carries — a result answer,
 * `{"jsonrpc":"2.0","id":7,"result":{…}}` with nothing else in it — recognised without zod. The
 * SDK's JSONRPCMessageSchema (a union of four strict schemas, tried in order, building issue
 * lists for each miss) costs more per answer than the rest of reading it. Only shapes that schema
 * certainly accepts pass here (the same checks: version, an integer or string id, a result that is
 * an object; a `_meta` in the result is left to the schema); anything else returns false and goes
 * through the schema, which stays the judge.
 */
export function isPlainResultResponse(value: unknown): value is JSONRPCMessage {
  if (!isObject(value)) return false;
  const message = value as { jsonrpc?: unknown; id?: unknown; result?: unknown };
  let keys = 0;
  for (const key in message) {
    if (!Object.hasOwn(message, key)) continue;
    if (key !== "jsonrpc" && key !== "id" && key !== "result") return false;
    keys++;
  }
  if (keys !== 3 || message.jsonrpc !== "2.0" || !isRequestId(message.id)) return false;
  const result = message.result;
  return isObject(result) && (result as { _meta?: unknown })._meta === undefined;
}

/**
 * A request or a notification as a client sends them — `{"jsonrpc":"2.0","id":7,"method":"…",
 * "params":{…}}`, the id left out for a notification — recognised without zod, by the rules of
 * the SDK's strict schemas: version, an integer or string id, a string method, params (if any)
 * an object whose `_meta` (if any) is an object with an integer or string `progressToken` (if
 * any). Params that the schema would not pass on as they are (a related-task `_meta`, which it
 * checks further, or an own `__proto__` key, which it drops) are left to the schema.
 */
export function isPlainRequestOrNotification(value: unknown): value is JSONRPCRequest | JSONRPCNotification {
  if (!isObject(value)) return false;
  const message = value as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  for (const key in message) {
    if (!Object.hasOwn(message, key)) continue;
    if (key !== "jsonrpc" && key !== "id" && key !== "method" && key !== "params") return false;
  }
  if (message.jsonrpc !== "2.0" || typeof message.method !== "string") return false;
  if (Object.hasOwn(message, "id") && !isRequestId(message.id)) return false;
  return !Object.hasOwn(message, "params") || isPlainParams(message.params);
}

/**
 * The params of a `tools/call` request (already a plain request, see above) that the SDK's
 * CallToolRequestSchema takes as they are: a string `name`, `arguments` absent or an object
 * (without an own `__proto__`, which the schema would drop), and no `task` (task-augmented calls
 * take the SDK's own path).
 */
export function isPlainToolCallParams(params: unknown): params is { name: string; arguments?: Record<string, unknown> } {
  if (!isObject(params)) return false;
  const { name, arguments: args, task } = params as { name?: unknown; arguments?: unknown; task?: unknown };
  if (typeof name !== "string" || task !== undefined || Object.hasOwn(params, "task")) return false;
  if (args === undefined) return !Object.hasOwn(params, "arguments");
  return isObject(args) && !Object.hasOwn(args, PROTO);
}

/** An own key of this name is dropped when zod copies an object. */
const PROTO = "__proto__";

function isPlainParams(params: unknown): boolean {
  if (!isObject(params) || Object.hasOwn(params, PROTO)) return false;
  const meta = (params as { _meta?: unknown })._meta;
  if (meta === undefined) return !Object.hasOwn(params, "_meta");
  if (!isObject(meta) || Object.hasOwn(meta, PROTO) || Object.hasOwn(meta, RELATED_TASK_META_KEY)) return false;
  const token = (meta as { progressToken?: unknown }).progressToken;
  return token === undefined ? !Object.hasOwn(meta, "progressToken") : isRequestId(token);
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRequestId(id: unknown): boolean {
  return typeof id === "string" || Number.isSafeInteger(id);
}
