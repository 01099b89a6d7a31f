import type { ExposeMode } from "../config/types.js";
import { log } from "../observability/log.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { createHangarServer } from "./mcp-server.js";
import { StdioServerLineTransport } from "./stdio-server-transport.js";
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
  const transport = new StdioServerLineTransport(process.stdin, process.stdout);
  // Lines that were no message (each already answered with an error), and the SDK's own reports.
  server.onerror = (error) => {
    log.warn(`stdio client: ${error.message}`);
  };
  process.stdin.once("end", () => {
    onGone("stdin closed");
  });
  process.stdout.once("error", (error: Error) => {
    onGone(`stdout failed: ${error.message}`);
  });
  await server.connect(transport);
  return () => server.close();
}
