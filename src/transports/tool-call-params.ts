import { safeParse } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import { CallToolRequestSchema, type JSONRPCRequest } from "@modelcontextprotocol/sdk/types.js";
import { paramsProblem } from "./request-params.js";
import type { SchemaIssue } from "./schema-issues.js";

/**
 * What is wrong with a `tools/call` request's params, in the words every other method's params
 * are judged in (request-params.ts: "tools/call: params.arguments must be an object, not an
 * array") — or undefined when CallToolRequestSchema takes the request. The same schema and the
 * same wording function as HangarServer.setRequestHandler's, so the two cannot drift apart. Left
 * to the SDK, a wrong shape answers -32603 Internal error with zod's raw issue list; JSON-RPC and
 * MCP call it -32602 Invalid params. Only checked for a call the short route did not take
 * (jsonrpc-fast-path.ts), so never on the hot path.
 */
export function toolCallParamsProblem(request: JSONRPCRequest): string | undefined {
  const parsed = safeParse(CallToolRequestSchema, request);
  return parsed.success ? undefined : paramsProblem("tools/call", (parsed.error as { issues: SchemaIssue[] }).issues, request);
}
