import { spawn } from "node:child_process";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach } from "vitest";
import { MAIN_JS, NODE, REPO_ROOT, testStateDir, useE2E, type E2E, type ExitInfo } from "./cli.js";
import { waitFor } from "./wait.js";

/**
 * The built hangar serving HTTP (`node dist/main.js --config FILE --http --port 0`), with SDK
 * clients over streamable HTTP and the legacy SSE transport. The hangar picks a free port and
 * logs its URL on stderr, where this reads it.
 */

const LISTENING = /serving \d+ providers? over HTTP at (http:\/\/\S+)\/mcp /;

export interface HttpHangar {
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid: number;
  stderr: () => string;
  waitForStderr: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
  exited: Promise<ExitInfo>;
  /** Sends `signal` (default SIGTERM) and resolves with how the hangar exited. */
  stop: (signal?: NodeJS.Signals) => Promise<ExitInfo>;
}

export interface HttpStartOptions {
  /** The hangar's environment (default: PATH only). */
  env?: Record<string, string>;
  /** Extra arguments after `--http --port 0`. */
  args?: string[];
}

export interface ClientOptions {
  token?: string;
  name?: string;
  headers?: Record<string, string>;
}

export interface HttpE2E extends E2E {
  /** Starts an HTTP hangar on a config; stopped (SIGTERM) after the test. */
  startHttp: (config: object | string, options?: HttpStartOptions) => Promise<HttpHangar>;
  /** A client over streamable HTTP at `<url>/mcp`, closed after the test. */
  streamable: (url: string, options?: ClientOptions) => Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
  /** A client over the legacy SSE transport at `<url>/sse`, closed after the test. */
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the legacy transport is what this tests
  sse: (url: string, options?: ClientOptions) => Promise<{ client: Client; transport: SSEClientTransport }>;
}

export function useHttpE2E(): HttpE2E {
  // Registered first, so (hooks run as a stack) its process checks run after the cleanup below.
  const e2e = useE2E();
  let hangars: HttpHangar[] = [];
  let clients: Client[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    clients = [];
    const problems: string[] = [];
    await Promise.all(
      hangars.splice(0).map(async (hangar) => {
        const exit = await hangar.stop();
        if (exit.code !== 0) {
          problems.push(`hangar ${hangar.pid} exited with ${String(exit.code)}\n--- stderr ---\n${hangar.stderr()}`);
        }
      }),
    );
    hangars = [];
    if (problems.length > 0) throw new Error(problems.join("\n"));
  });

  const headersOf = (options: ClientOptions): Record<string, string> => ({
    ...(options.token === undefined ? {} : { Authorization: `Bearer ${options.token}` }),
    ...options.headers,
  });

  return {
    ...e2e,
    startHttp: async (config, options = {}) => {
      const hangar = await startHttpHangar(e2e.writeConfig(config), options);
      hangars.push(hangar);
      return hangar;
    },
    streamable: async (url, options = {}) => {
      const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: headersOf(options) } });
      const client = new Client({ name: options.name ?? "http-e2e", version: "1.0.0" }, { capabilities: {} });
      clients.push(client);
      await client.connect(transport);
      return { client, transport };
    },
    sse: async (url, options = {}) => {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- the legacy transport is what this tests
      const transport = new SSEClientTransport(new URL(`${url}/sse`), { requestInit: { headers: headersOf(options) } });
      const client = new Client({ name: options.name ?? "sse-e2e", version: "1.0.0" }, { capabilities: {} });
      clients.push(client);
      await client.connect(transport);
      return { client, transport };
    },
  };
}

/** Starts `node dist/main.js --config FILE --http --port 0 ARGS` and waits for its URL on stderr. */
export async function startHttpHangar(configPath: string, options: HttpStartOptions = {}): Promise<HttpHangar> {
  const child = spawn(NODE, [MAIN_JS, "--config", configPath, "--http", "--port", "0", ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    // Process-group records and the default audit trail go to this test run's state dir, as for
    // the stdio test hangars (cli.ts), never the user's own.
    env: { MCP_HANGAR_STATE_DIR: testStateDir(), ...(options.env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin" }) },
    // stdin is /dev/null: in HTTP mode its end must not stop the hangar.
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks: string[] = [];
  child.stderr.on("data", (chunk: Buffer) => {
    chunks.push(chunk.toString("utf8"));
  });
  child.stdout.resume();
  const stderr = (): string => chunks.join("");
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn the hangar");
  const waitForStderr = async (text: string | RegExp, timeoutMs = 5_000): Promise<void> => {
    const matches = (): boolean => (typeof text === "string" ? stderr().includes(text) : text.test(stderr()));
    try {
      await waitFor(matches, timeoutMs, `hangar stderr to contain ${String(text)}`);
    } catch (error) {
      throw new Error(`${String(error)}\n--- hangar stderr ---\n${stderr()}`);
    }
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM"): Promise<ExitInfo> => {
    if (!gone) child.kill(signal);
    return exited;
  };
  let url: string;
  try {
    // Start-up loads the hangar's modules first (≈ 0.7 s of CPU quiet; over 10 s under load, measured).
    url = await waitFor(() => LISTENING.exec(stderr())?.[1] ?? (gone ? "exited" : undefined), 30_000, "the hangar's URL on stderr");
  } catch (error) {
    await stop("SIGKILL");
    throw new Error(`${String(error)}\n--- hangar stderr ---\n${stderr()}`);
  }
  if (url === "exited") throw new Error(`the hangar exited before listening\n--- hangar stderr ---\n${stderr()}`);
  return { url, pid, stderr, waitForStderr, exited, stop };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One plain HTTP request (node:http, so Host can be set — fetch forbids it), for the checks an
 * SDK client cannot make: foreign Host/Origin, oversize bodies, missing tokens.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname.replace(/^\[|\]$/g, ""),
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? "GET",
        headers: options.headers,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (chunk: Buffer) => parts.push(chunk));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString("utf8") });
        });
        res.on("error", reject);
      },
    );
    // A server that answers 413 early may close while the body is still being written.
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The headers of an MCP initialize POST, and its body. */
export const INITIALIZE = {
  headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
  body: JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
  }),
};
