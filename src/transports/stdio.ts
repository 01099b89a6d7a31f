import type { ExposeMode } from "../config/types.js";
import { log } from "../observability/log.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { createHangarServer } from "./mcp-server.js";
import { StdinDrain } from "./stdin-drain.js";
import { StdioServerLineTransport } from "./stdio-server-transport.js";
import type { ToolCatalogue } from "./tool-catalogue.js";

export interface StdioFrontEnd {
  close: () => Promise<void>;
  /** The hangar shuts down for another reason (a signal, a broken stdout): a drain under way stops waiting. */
  abandonDrain: (reason: string) => void;
}

export interface StdioOptions {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  expose: ExposeMode;
  /** How long the requests in flight at stdin EOF may take before they are cut (stdio.drain_timeout_s). */
  drainTimeoutS: number;
  /** Shuts the hangar down (once, whoever asks first). */
  onGone: (reason: string) => void;
}

/**
 * The stdio front end: one MCP session on the hangar's stdin/stdout (Claude Desktop, Cursor).
 * stdout carries MCP only. When the client goes away, `onGone` runs so the hangar shuts down and
 * takes every provider process with it: at once when stdout breaks (nobody is left to answer),
 * and after the requests already read are answered when stdin ends (StdinDrain).
 */
export async function serveStdio({ runtime, catalogue, expose, drainTimeoutS, onGone }: StdioOptions): Promise<StdioFrontEnd> {
  const server = createHangarServer(runtime, catalogue, expose);
  const transport = new StdioServerLineTransport(process.stdin, process.stdout);
  // Lines that were no message (each already answered with an error), and the SDK's own reports.
  server.onerror = (error) => {
    log.warn(`stdio client: ${error.message}`);
  };
  const drain = new StdinDrain(transport, drainTimeoutS, log, onGone);
  transport.onInputEnd = drain.begin;
  process.stdout.once("error", (error: Error) => {
    onGone(`stdout failed: ${error.message}`);
  });
  await server.connect(transport);
  return {
    close: () => server.close(),
    abandonDrain: (reason) => {
      drain.abandon(reason);
    },
  };
}
