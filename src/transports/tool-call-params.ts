/**
 * What is wrong with the params of a `tools/call` request, in words a client can act on — or
 * undefined when they have the shape CallToolRequestSchema asks for (a string `name`, `arguments`
 * absent or an object). Left to the SDK, a wrong shape answers -32603 Internal error with zod's
 * raw issue list; JSON-RPC and MCP call it -32602 Invalid params. Only checked for a call the
 * short route did not take (jsonrpc-fast-path.ts), so never on the hot path.
 */
export function toolCallParamsProblem(params: unknown): string | undefined {
  if (!isObject(params)) return "tools/call: params must be an object with a string 'name' (the tool) and an optional 'arguments' object";
  const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
  if (typeof name !== "string") return "tools/call: params.name must be a string (the tool's name)";
  if (Object.hasOwn(params, "arguments") && !isObject(args)) return `tools/call: arguments must be an object, not ${describe(args)}`;
  return undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
