import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { EVERYTHING_JS, NODE, REPO_ROOT } from "../helpers/cli.js";

export const FILESYSTEM_JS = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");

export interface RealTool {
  server: "everything" | "filesystem";
  tool: Tool;
}

/** tools/list of a real MCP server, asked over stdio. */
async function listTools(args: string[]): Promise<Tool[]> {
  const client = new Client({ name: "schema-fetch", version: "1" });
  await client.connect(new StdioClientTransport({ command: NODE, args, stderr: "ignore" }));
  try {
    return (await client.listTools()).tools;
  } finally {
    await client.close();
  }
}

/**
 * The tool lists of the reference servers this project is tested against — server-everything and
 * @modelcontextprotocol/server-filesystem — fetched from the real servers, not copied.
 */
export async function fetchRealTools(): Promise<RealTool[]> {
  const root = mkdtempSync(join(tmpdir(), "hangar-fs-"));
  try {
    const [everything, filesystem] = await Promise.all([listTools([EVERYTHING_JS, "stdio"]), listTools([FILESYSTEM_JS, root])]);
    return [
      ...everything.map((tool): RealTool => ({ server: "everything", tool })),
      ...filesystem.map((tool): RealTool => ({ server: "filesystem", tool })),
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
