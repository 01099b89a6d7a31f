import { once } from "node:events";
import { createConnection, createServer, type Socket } from "node:net";
import { join } from "node:path";

/**
 * A unix-socket proxy in front of the real Docker engine that a test can cut: the hangar's Docker
 * source talks to the engine through it (its `socket` option), so the test can drop the events
 * stream — and make the engine unreachable — without restarting the dockerd the other tests share.
 * Bytes are forwarded as they are; while cut, every new connection is accepted, its request line
 * noted (so the test sees each reconnect attempt and when it came) and then dropped.
 */
export interface EngineProxy {
  socketPath: string;
  /** Requests that arrived while cut: their first line and when (performance.now()). */
  refused: { at: number; request: string }[];
  /** Request lines forwarded to the engine (`GET /v1.x/events?filters=… HTTP/1.1`), in order. */
  forwarded: string[];
  /** Ends every forwarded connection (the events stream with them) and refuses new ones. */
  cut(): void;
  /** Forwards new connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** The engine's own socket: DOCKER_HOST's when it names a unix socket, else /var/run/docker.sock. */
function engineSocket(): string {
  const host = process.env.DOCKER_HOST;
  return host?.startsWith("unix://") === true ? host.slice("unix://".length) : "/var/run/docker.sock";
}

export async function startEngineProxy(dir: string): Promise<EngineProxy> {
  const socketPath = join(dir, `engine-proxy-${process.pid}-${Date.now()}.sock`);
  const target = engineSocket();
  const live = new Set<Socket>();
  const refused: EngineProxy["refused"] = [];
  const forwarded: string[] = [];
  let isCut = false;

  const server = createServer((client) => {
    if (isCut) {
      client.once("data", (chunk: Buffer) => {
        refused.push({ at: performance.now(), request: chunk.toString("latin1").split("\r\n")[0] ?? "" });
        client.destroy();
      });
      client.on("error", () => undefined);
      return;
    }
    const engine = createConnection(target);
    live.add(client);
    live.add(engine);
    const forget = (): void => {
      live.delete(client);
      live.delete(engine);
      client.destroy();
      engine.destroy();
    };
    client.on("error", forget).on("close", forget);
    engine.on("error", forget).on("close", forget);
    // Request lines as they pass (a kept-alive connection carries several), so a test sees what was asked.
    client.on("data", (chunk: Buffer) => {
      for (const match of chunk.toString("latin1").matchAll(/(?:^|\r\n)((?:GET|POST|PUT|DELETE|HEAD) \S+ HTTP\/1\.[01])/g)) forwarded.push(match[1] ?? "");
    });
    client.pipe(engine);
    engine.pipe(client);
  });
  server.listen(socketPath);
  await once(server, "listening");

  return {
    socketPath,
    refused,
    forwarded,
    cut: () => {
      isCut = true;
      for (const socket of [...live]) socket.destroy();
      live.clear();
    },
    restore: () => {
      isCut = false;
    },
    close: async () => {
      for (const socket of [...live]) socket.destroy();
      live.clear();
      const closed = once(server, "close");
      server.close();
      await closed;
    },
  };
}
