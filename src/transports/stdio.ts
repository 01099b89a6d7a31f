import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { ExposeMode } from "../config/types.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { createHangarServer } from "./mcp-server.js";
import type { ToolCatalogue } from "./tool-catalogue.js";

/**
 * The stdio front end: one MCP session on the hangar's stdin/stdout (Claude Desktop, Cursor).
 * stdout carries MCP only. When the client goes away — stdin EOF, or stdout breaks — `onGone`
 * runs so the hangar shuts down and takes every provider process with it.
 */
export async function serveStdio(
  runtime: HangarRuntime,
  catalogue: ToolCatalogue,
  expose: ExposeMode,
  onGone: (reason: string) => void,
): Promise<() => Promise<void>> {
  const server = createHangarServer(runtime, catalogue, expose);
  const transport = new StdioServerTransport(process.stdin, process.stdout);
  process.stdin.once("end", () => {
    onGone("stdin closed");
  });
  process.stdout.once("error", (error: Error) => {
    onGone(`stdout failed: ${error.message}`);
  });
  await server.connect(transport);
  return () => server.close();
}
