import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

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

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRequestId(id: unknown): boolean {
  return typeof id === "string" || Number.isSafeInteger(id);
}
