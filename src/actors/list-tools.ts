import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ListToolsResultSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";

/** A provider that pages forever (or repeats a cursor) must not hang the start. */
const MAX_TOOL_PAGES = 1_000;

/**
 * tools/list through request() rather than client.listTools(): the latter compiles an ajv
 * validator for every output schema, for callTool's benefit, and calls never use callTool.
 */
export async function listAllTools(client: Client, signal: AbortSignal | undefined, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.request(
      { method: "tools/list", params: cursor === undefined ? undefined : { cursor } },
      ListToolsResultSchema,
      { signal, timeout },
    );
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (cursor === undefined) return tools;
    if (seen.has(cursor)) throw new Error(`tools/list repeated the cursor ${JSON.stringify(cursor)}`);
    seen.add(cursor);
  }
  throw new Error(`tools/list returned more than ${MAX_TOOL_PAGES} pages`);
}
