// Servers with a streamable HTTP front for scenario 3: the built hangar in --http mode and the
// peer `mcp-proxy` (npm) wrapping the same stdio provider, each with an SDK client connected
// over loopback. Both run without tokens: loopback needs none, and neither side should pay
// for a check the other skips.
import process from "node:process";
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { createServer } from "node:net";
import { URL } from "node:url";
import { dirname, join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { MAIN_JS, REPO_ROOT } from "./clients.js";
import { isRunning, waitUntil } from "./procs.js";

const MCP_PROXY_JS = join(REPO_ROOT, "node_modules", "mcp-proxy", "dist", "bin", "mcp-proxy.mjs");

/** A free loopback port (mcp-proxy takes no port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Spawns a server process and keeps the tail of its output for error messages. */
function spawnServer(argv, { marker, cwd, env = {} }) {
  const [command, ...args] = argv;
  const child = spawn(command, args, { cwd, env: { ...process.env, BENCH_MARKER: marker, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk.toString("utf8")).slice(-65_536);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return { child, output: () => output };
}

/**
 * The SDK's StreamableHTTPClientTransport hands one AbortSignal (its own, for close()) to every
 * fetch, and undici removes a fetch's abort listener from it only when the request is garbage
 * collected. Thousands of calls between two collections pass undici's limit of 1,500 listeners
 * and each further one logs a MaxListenersExceededWarning. Nothing leaks and no stream stays
 * open — after a GC one listener is left, against the hangar and mcp-proxy alike — so the limit
 * is lifted for that signal (0: none), for both sides.
 */
function fetchWithoutListenerLimit(url, init) {
  if (init?.signal) setMaxListeners(0, init.signal);
  return globalThis.fetch(url, init);
}

async function connectHttp(url, name, server, describe) {
  let client;
  let transport;
  // The server may need a moment after spawning; a refused first connect is retried with a
  // fresh client (a transport that failed to start cannot be started again).
  await waitUntil(
    async () => {
      client = new Client({ name, version: "1.0.0" }, { capabilities: {} });
      transport = new StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutListenerLimit });
      return client.connect(transport).then(
        () => true,
        () => false,
      );
    },
    15_000,
    `${describe} to accept an MCP session at ${url}\n${server.output()}`,
    100,
  );
  const pid = server.child.pid;
  return {
    client,
    pid,
    /** The MCP endpoint, for other clients (the light load generator) to open sessions at. */
    url,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
      if (isRunning(pid)) server.child.kill("SIGTERM");
      await waitUntil(() => !isRunning(pid), 10_000, `${describe} (pid ${pid}) to exit`);
    },
  };
}

/**
 * The built hangar serving `configPath` over streamable HTTP on a free loopback port. `stateDir`
 * is its MCP_HANGAR_STATE_DIR, as for the stdio hangars (clients.js connectHangar): the run's own
 * audit trail. Without it the hangar appends to the user's default audit database, which every
 * earlier run has grown (a gigabyte on the bench machine, shared with whatever else runs there):
 * several times the page reads and writes per call of a fresh file, charged to the hangar alone.
 * `mainJs` names another build to run (an A/B of two builds side by side); MAIN_JS by default.
 */
export async function connectHttpHangar(configPath, { marker, nodeArgs = [], stateDir, mainJs = MAIN_JS }) {
  // A port chosen here (not --port 0) because --log-level warn hides the line naming it.
  const port = await freePort();
  const server = spawnServer(
    [process.execPath, ...nodeArgs, mainJs, "--config", configPath, "--http", "--port", String(port), "--log-level", "warn"],
    { marker, cwd: dirname(configPath), env: stateDir === undefined ? {} : { MCP_HANGAR_STATE_DIR: stateDir } },
  );
  return connectHttp(`http://127.0.0.1:${port}/mcp`, "bench-http-hangar", server, "the HTTP hangar");
}

/** `mcp-proxy --server stream` on a free loopback port, wrapping the provider `argv`. */
export async function connectMcpProxy(argv, { marker }) {
  const port = await freePort();
  const server = spawnServer(
    [process.execPath, MCP_PROXY_JS, "--port", String(port), "--host", "127.0.0.1", "--server", "stream", "--", ...argv],
    { marker, cwd: REPO_ROOT },
  );
  return connectHttp(`http://127.0.0.1:${port}/mcp`, "bench-mcp-proxy", server, "mcp-proxy");
}
