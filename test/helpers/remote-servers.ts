import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { join } from "node:path";
import { EVERYTHING_JS, FIXTURES } from "./cli.js";
import { waitFor } from "./wait.js";

/** A remote MCP server the tests run on loopback, restartable on the same port. */
export interface RemoteServer {
  url: string;
  port: number;
  /** Everything it wrote (stdout and stderr), for asserting on what it received. */
  output: string[];
  /** Stops it (its sessions are gone) and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

interface ServerKind {
  argv: string[];
  path: string;
  /** The line it prints once it listens. */
  ready: RegExp;
  env?: NodeJS.ProcessEnv;
}

/** @modelcontextprotocol/server-everything in streamableHttp mode (listens on PORT: `port`, else a free one). */
export function startEverythingHttp(port?: number): Promise<RemoteServer> {
  return startServer({ argv: [EVERYTHING_JS, "streamableHttp"], path: "/mcp", ready: /listening on port/ }, port);
}

/** test/fixtures/sse-server.js: legacy SSE only. */
export function startSseFixture(env: NodeJS.ProcessEnv = {}): Promise<RemoteServer> {
  return startServer({ argv: [join(FIXTURES, "sse-server.js")], path: "/sse", ready: /listening on port/, env });
}

const running = new Set<RemoteServer>();

/** For afterEach: stops every server a test started. */
export async function stopRemoteServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

async function startServer(kind: ServerKind, fixedPort?: number): Promise<RemoteServer> {
  const port = fixedPort ?? (await freePort());
  const output: string[] = [];
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(process.execPath, kind.argv, { env: { ...process.env, ...kind.env, PORT: String(port) }, stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    const seenBefore = output.length;
    for (const stream of [started.stdout, started.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => output.push(...chunk.split("\n").filter((line) => line !== "")));
    }
    try {
      // Waits on its "listening" line. server-everything loads the SDK and its own modules first:
      // ≈ 1 s of CPU on a quiet machine, over 10 s at load 14 (measured), hence the wide bound.
      await waitFor(() => output.slice(seenBefore).some((line) => kind.ready.test(line)) || started.exitCode !== null, 30_000, "the server to listen");
    } catch (error) {
      // Not yet among the running servers: stop it here, or it outlives the suite.
      await halt();
      throw error;
    }
    if (started.exitCode !== null) throw new Error(`the server exited: ${output.join("\n")}`);
  };
  const halt = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, "exit");
    current.kill("SIGKILL");
    await exited;
  };
  await launch();
  const server: RemoteServer = {
    url: `http://127.0.0.1:${port}${kind.path}`,
    port,
    output,
    restart: async () => {
      await halt();
      // A server stopped earlier in the test and started again must still be stopped after it.
      running.add(server);
      await launch();
    },
    stop: async () => {
      running.delete(server);
      await halt();
    },
  };
  running.add(server);
  return server;
}

/** A port nobody listens on right now (the system picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
