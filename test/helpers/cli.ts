import { execFile, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { CallToolResultSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll } from "vitest";
import { z } from "zod";
import { killProcesses, waitForExit, waitForNoProcesses } from "./processes.js";
import { waitFor } from "./wait.js";

/**
 * Running the built hangar (`node dist/main.js`) as a real process with a real MCP client in
 * front of it, for the end-to-end tests. Nothing is mocked: providers are the fixture servers
 * (and the reference server-everything), started by the hangar itself.
 */

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MAIN_JS = join(REPO_ROOT, "dist", "main.js");
export const FIXTURES = join(REPO_ROOT, "test", "fixtures");
export const EVERYTHING_JS = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
export const NODE = process.execPath;

export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} does not exist: run npm run build before the e2e tests`);
}

/** argv running a fixture server with this node binary, tagged with the test's marker. */
export function fixtureCommand(name: string, marker: string, ...args: string[]): string[] {
  return [NODE, join(FIXTURES, name), `--marker=${marker}`, ...args];
}

/** argv running the reference server-everything over stdio, tagged with the test's marker. */
export function everythingCommand(marker: string): string[] {
  return [NODE, EVERYTHING_JS, "stdio", `--marker=${marker}`];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Extra environment of the hangar (on top of the SDK's small default environment). */
  env?: Record<string, string>;
  /** Extra command-line arguments after `--config FILE`. */
  args?: string[];
  /** Working directory (default: the config file's folder). */
  cwd?: string;
  /** Called before connecting, so handlers see every message from the first one on. */
  beforeConnect?: (client: Client) => void;
  /** The client to connect (default: a plain one without capabilities). */
  client?: Client;
}

export interface RunningHangar {
  client: Client;
  transport: StdioClientTransport;
  /** The hangar's own pid. */
  pid: number;
  /** Everything the hangar wrote on stderr so far (its log). */
  stderr: () => string;
  /** Resolves when stderr contains `text`; fails with the log so far after `timeoutMs`. */
  waitForStderr: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
  /** Resolves with the exit code and signal once the hangar process has exited. */
  exited: Promise<ExitInfo>;
  /** Ends the hangar's stdin (EOF) and nothing else: the SDK's close() would SIGTERM a slow exit. */
  endStdin: () => void;
  /** Closes the client (stdin EOF) and waits for the hangar to exit. Idempotent. */
  close: () => Promise<void>;
}

/**
 * Where test hangars record their process groups: one folder shared by every test run on this
 * machine (never the user's own state dir). Sharing is safe — a hangar only reaps the records of
 * hangars that are no longer alive — and leaves nothing to accumulate.
 */
export function testStateDir(): string {
  return join(tmpdir(), "mcp-hangar-test-state");
}

/**
 * Starts `node dist/main.js --config FILE` (without --config when `configPath` is undefined: the
 * hangar then looks for its config itself) and connects an MCP client to it over stdio.
 */
export async function startHangar(configPath: string | undefined, options: StartOptions = {}): Promise<RunningHangar> {
  const transport = new StdioClientTransport({
    command: NODE,
    args: [MAIN_JS, ...(configPath === undefined ? [] : ["--config", configPath]), ...(options.args ?? [])],
    // Test hangars record their process groups in a state dir of this test run, never the user's.
    env: { MCP_HANGAR_STATE_DIR: testStateDir(), ...options.env },
    cwd: options.cwd ?? (configPath === undefined ? REPO_ROOT : dirname(configPath)),
    stderr: "pipe",
  });
  const chunks: string[] = [];
  transport.stderr?.on("data", (chunk: Buffer) => {
    chunks.push(chunk.toString("utf8"));
  });
  const stderr = (): string => chunks.join("");
  const client = options.client ?? new Client({ name: "hangar-e2e", version: "1.0.0" }, { capabilities: {} });
  options.beforeConnect?.(client);
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw new Error(`could not connect to the hangar: ${String(error)}\n--- hangar stderr ---\n${stderr()}`);
  }
  // The transport forgets its child on close(); keep it to learn how the hangar exited.
  const child = (transport as unknown as { _process?: ChildProcess })._process;
  const pid = transport.pid;
  if (child === undefined || pid === null) {
    throw new Error(`the hangar exited right after connecting (or the SDK's StdioClientTransport changed)\n--- hangar stderr ---\n${stderr()}`);
  }
  const exited = new Promise<ExitInfo>((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => {
      resolveExit({ code, signal });
    });
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      await client.close();
      await exited;
    })();
    return closing;
  };
  const waitForStderr = async (text: string | RegExp, timeoutMs = 5_000): Promise<void> => {
    const matches = (): boolean => (typeof text === "string" ? stderr().includes(text) : text.test(stderr()));
    try {
      await waitFor(matches, timeoutMs, `hangar stderr to contain ${String(text)}`);
    } catch (error) {
      throw new Error(`${String(error)}\n--- hangar stderr ---\n${stderr()}`);
    }
  };
  const endStdin = (): void => {
    child.stdin?.end();
  };
  return { client, transport, pid, stderr, waitForStderr, exited, endStdin, close };
}

/** A plain SDK client talking straight to a server, for comparing with what the hangar forwards. */
export async function directClient(command: string[]): Promise<{ client: Client; close: () => Promise<void> }> {
  const [bin = NODE, ...args] = command;
  const transport = new StdioClientTransport({ command: bin, args, stderr: "pipe" });
  const client = new Client({ name: "direct-e2e", version: "1.0.0" }, { capabilities: {} });
  await client.connect(transport);
  return {
    client,
    close: async () => {
      // Servers need not exit on stdin EOF; SIGTERM spares the SDK's 2 s close grace.
      const pid = transport.pid;
      if (pid !== null) process.kill(pid, "SIGTERM");
      await client.close();
    },
  };
}

/** tools/call through the client (with its result-schema and output-schema checks). */
export function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
  options: RequestOptions = {},
): Promise<CallToolResult> {
  return client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: 20_000, ...options }) as Promise<CallToolResult>;
}

/** Accepts any object: the result exactly as it came over the wire, for pass-through comparisons. */
const rawResult = z.custom<CallToolResult>((value) => typeof value === "object" && value !== null);

/** tools/call returning the result as sent, without the SDK's re-parsing. */
export function callToolRaw(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, rawResult, { timeout: 20_000 });
}

/** registry_invoke(provider, tool, arguments, timeout_s). */
export function invoke(
  client: Client,
  provider: string,
  tool: string,
  args: Record<string, unknown> = {},
  timeoutS?: number,
): Promise<CallToolResult> {
  return callTool(client, "registry_invoke", {
    provider,
    tool,
    arguments: args,
    ...(timeoutS === undefined ? {} : { timeout_s: timeoutS }),
  });
}

/** The text of a result's text items, joined by newlines. */
export function textOf(result: CallToolResult): string {
  return result.content
    .flatMap((item) => (item.type === "text" ? [item.text] : []))
    .join("\n");
}

/** The structuredContent of a registry tool's JSON answer. */
export function jsonOf(result: CallToolResult): Record<string, unknown> {
  if (result.isError === true) throw new Error(`the tool failed: ${textOf(result)}`);
  const data = result.structuredContent;
  if (data === undefined) throw new Error(`no structuredContent in ${JSON.stringify(result)}`);
  return data;
}

/** registry_details(provider) as an object. */
export async function details(client: Client, provider: string): Promise<ProviderDetails> {
  return jsonOf(await callTool(client, "registry_details", { provider })) as unknown as ProviderDetails;
}

export interface ProviderDetails {
  id: string;
  state: string;
  pid?: number;
  in_flight: number;
  calls: number;
  failures: number;
  starts: number;
  last_error?: { kind: string; message: string };
  tools: { name: string; source: string }[];
  stderr_tail: string[];
  health?: {
    last_probe_at?: string;
    last_probe_ok?: boolean;
    last_probe_error?: string;
    consecutive_failures: number;
  };
  circuit_breaker?: { state: "CLOSED" | "OPEN" | "HALF_OPEN"; failures: number; retry_at?: string };
  restarts?: { count: number; next_restart_at?: string };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/main.js ARGS` to completion (for the non-serving commands). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      NODE,
      [MAIN_JS, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, timeout: options.timeoutMs ?? 10_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Per-file e2e context: a fresh temp dir for configs, a unique marker per test, and the hangars
 * a test started. After each test every hangar is closed and no process carrying one of the
 * test's markers may survive — if one does, it is killed and the test fails.
 */
export interface E2E {
  /** The temp dir of this test file. */
  dir: () => string;
  /** A new unique marker, checked after the test. */
  marker: () => string;
  /** Writes a config (an object is written as JSON, which is YAML) and returns its path. */
  writeConfig: (config: object | string, name?: string) => string;
  /** Starts a hangar that the test's cleanup closes. */
  start: (config: object | string, options?: StartOptions) => Promise<RunningHangar>;
  /** Starts a hangar on an existing config file (or none: it searches), closed by the cleanup. */
  startWith: (configPath: string | undefined, options?: StartOptions) => Promise<RunningHangar>;
}

export function useE2E(): E2E {
  let dir: string | undefined;
  let counter = 0;
  let markers: string[] = [];
  let hangars: RunningHangar[] = [];

  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), "hangar-e2e-"));
  });

  afterEach(async () => {
    const closing = hangars.splice(0);
    const problems: string[] = [];
    await Promise.all(
      closing.map(async (hangar) => {
        try {
          await hangar.close();
        } catch (error) {
          problems.push(`closing the hangar failed: ${String(error)}`);
        }
        // Also covers a hangar whose transport was closed but which does not exit.
        try {
          await waitForExit(hangar.pid, 6_000);
        } catch {
          problems.push(`hangar ${hangar.pid} did not exit\n--- stderr ---\n${hangar.stderr()}`);
          process.kill(hangar.pid, "SIGKILL");
        }
      }),
    );
    for (const marker of markers.splice(0)) {
      try {
        await waitForNoProcesses(marker, 5_000);
      } catch (error) {
        problems.push(String(error));
        killProcesses(marker);
      }
    }
    markers = [];
    if (problems.length > 0) throw new Error(`cleanup found problems:\n${problems.join("\n")}`);
  });

  afterAll(() => {
    hangars = [];
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const requireDir = (): string => {
    if (dir === undefined) throw new Error("useE2E(): the temp dir exists only inside tests");
    return dir;
  };

  const writeConfig = (config: object | string, name?: string): string => {
    counter += 1;
    const path = join(requireDir(), name ?? `hangar-${counter}.yaml`);
    writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config, null, 2));
    return path;
  };

  return {
    dir: requireDir,
    marker: () => {
      const marker = `e2e-${randomUUID()}`;
      markers.push(marker);
      return marker;
    },
    writeConfig,
    start: async (config, options) => {
      const hangar = await startHangar(writeConfig(config), options);
      hangars.push(hangar);
      return hangar;
    },
    startWith: async (configPath, options) => {
      const hangar = await startHangar(configPath, options);
      hangars.push(hangar);
      return hangar;
    },
  };
}

/** Like waitFor, for an asynchronous probe (a tool call): resolves with its first truthy value. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 5_000, what = "condition"): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 20));
  }
}

/** Resolves with the promise's value, or rejects naming `what` after `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
