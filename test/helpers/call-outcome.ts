import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { textOf } from "./cli.js";

/**
 * A tool call's outcome in one line, whichever way it went: "ok: <text>" or "isError: <text>" for
 * a result, "error: <message>" for a JSON-RPC error — so a test lists a row of refusals as strings.
 */
export function callOutcome(client: Client): (name: string, args: Record<string, unknown>) => Promise<string> {
  return async (name, args) => {
    try {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      return `${result.isError === true ? "isError" : "ok"}: ${textOf(result)}`;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };
}
