import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { inspectorPage } from "./page.js";

/**
 * The relay the inspector page connects to: an HTTP server on 127.0.0.1 only that serves the page
 * at `/` and pushes inspector messages to every WebSocket client. It replaces
 * `@statelyai/inspect/server`, which listens on every interface and opens a browser by itself.
 *
 * - Loopback only, and only for `127.0.0.1:PORT` / `localhost:PORT` as Host, and — for browsers —
 *   only for the page's own Origin: another web site open in the same browser cannot read the
 *   stream (WebSockets are not bound by CORS), nor can a DNS-rebound name.
 * - One way: clients receive; what they send is ignored (frames are capped at 1 KiB).
 * - A client that cannot keep up (more than BUFFER_LIMIT bytes unsent) is closed; the page then
 *   reconnects and gets the current state again, instead of the hangar buffering without bound.
 * - Never keeps the process alive: the server and every connection are unref'd.
 */
export type ClientHandler = (send: (message: string) => void) => void;

const HOST = "127.0.0.1";
const MAX_CLIENTS = 16;
const BUFFER_LIMIT = 8 * 1024 * 1024;
const CLOSE_WAIT_MS = 250;
/** WebSocket close codes: the page stops retrying on GOING_AWAY. */
const GOING_AWAY = 1001;
const TRY_AGAIN_LATER = 1013;

export class InspectorRelay {
  /** Each client with its TCP socket (corked while a batch is written). */
  private readonly clients = new Map<WebSocket, Socket>();
  private corked: Socket[] = [];
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024, clientTracking: false });
  private readonly server: Server;
  private boundPort = 0;
  private clientHandler: ClientHandler | undefined;
  private closing: Promise<void> | undefined;

  private constructor() {
    this.server = createServer((request, response) => {
      this.serveHttp(request, response);
    });
    this.server.on("connection", (socket: Socket) => {
      socket.unref();
    });
    this.server.on("upgrade", (request: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on("error", () => {
        socket.destroy();
      });
      if (!this.acceptsUpgrade(request) || this.clients.size >= MAX_CLIENTS) {
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        this.addClient(ws, socket);
      });
    });
  }

  /** Listens on 127.0.0.1:port (0 picks a free port); rejects when the port cannot be bound. */
  static async listen(port: number): Promise<InspectorRelay> {
    const relay = new InspectorRelay();
    const server = relay.server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, HOST, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      relay.wss.close();
      throw error;
    }
    // Later server errors (a failed accept) must not take the hangar down.
    server.on("error", () => undefined);
    server.unref();
    relay.boundPort = (server.address() as AddressInfo).port;
    return relay;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Called for each new client before any broadcast reaches it: send it the current state. */
  onClient(handler: ClientHandler): void {
    this.clientHandler = handler;
  }

  /** The page's address, for people: open it in a browser. */
  get url(): string {
    return `http://${HOST}:${this.port}/`;
  }

  /** Where the page's WebSocket connects. */
  get wsUrl(): string {
    return `ws://${HOST}:${this.port}/`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /**
   * Sends one message (a JSON text) to every client. Messages sent in the same tick leave in one
   * write per client: the socket stays corked until the tick ends.
   */
  broadcast(message: string): void {
    for (const [client, socket] of this.clients) {
      this.cork(socket);
      this.sendTo(client, message);
    }
  }

  private cork(socket: Socket): void {
    if (this.corked.includes(socket)) return;
    if (this.corked.length === 0) process.nextTick(this.uncorkAll);
    socket.cork();
    this.corked.push(socket);
  }

  private readonly uncorkAll = (): void => {
    for (const socket of this.corked.splice(0)) socket.uncork();
  };

  /** Says goodbye to every client (the page stops retrying) and stops listening. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const open = [...this.clients.keys()];
      for (const client of open) client.close(GOING_AWAY, "mcp-hangar is shutting down");
      const closed = Promise.all(open.map((client) => (client.readyState === WebSocket.CLOSED ? Promise.resolve() : once(client, "close"))));
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS).unref();
      });
      await Promise.race([closed, waited]);
      clearTimeout(timer);
      for (const client of this.clients.keys()) client.terminate();
      this.clients.clear();
      this.wss.close();
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => {
        this.server.close(() => {
          resolve();
        });
      });
    })();
    return this.closing;
  }

  private sendTo(client: WebSocket, message: string): void {
    if (client.readyState !== WebSocket.OPEN) return;
    if (client.bufferedAmount > BUFFER_LIMIT) {
      this.clients.delete(client);
      client.close(TRY_AGAIN_LATER, "too slow: reconnect for the current state");
      return;
    }
    client.send(message);
  }

  private addClient(ws: WebSocket, socket: Socket): void {
    if (this.closing) {
      ws.close(GOING_AWAY, "mcp-hangar is shutting down");
      return;
    }
    ws.on("error", () => {
      ws.terminate();
    });
    ws.on("close", () => {
      this.clients.delete(ws);
    });
    // Messages from clients are not relayed: the hangar is the only source.
    this.clientHandler?.((message) => {
      this.cork(socket);
      this.sendTo(ws, message);
    });
    this.clients.set(ws, socket);
  }

  private allowedHost(host: string | undefined): boolean {
    return host === `${HOST}:${this.port}` || host === `localhost:${this.port}`;
  }

  /** Only this host, and from a browser only the page's own origin. */
  private acceptsUpgrade(request: IncomingMessage): boolean {
    if (!this.allowedHost(request.headers.host)) return false;
    const origin = request.headers.origin;
    return origin === undefined || origin === `http://${HOST}:${this.port}` || origin === `http://localhost:${this.port}`;
  }

  private serveHttp(request: IncomingMessage, response: ServerResponse): void {
    if (!this.allowedHost(request.headers.host)) {
      response.writeHead(403, { "content-type": "text/plain" }).end("forbidden: open the inspector at its loopback address\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = (request.url ?? "/").split("?", 1)[0];
    if (path !== "/") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    response
      .writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" })
      .end(request.method === "HEAD" ? undefined : inspectorPage());
  }
}
