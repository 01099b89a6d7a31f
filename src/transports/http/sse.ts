/* eslint-disable @typescript-eslint/no-deprecated -- the legacy HTTP+SSE transport is served on purpose, for
   clients that do not speak streamable HTTP yet. */
import type { ServerResponse } from "node:http";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { SESSION_NOT_FOUND, sendRpcError, TRANSPORT_ERROR } from "./responses.js";
import type { AuthedRequest, SessionHost, SessionServer } from "./sessions.js";

/** A comment line on every open stream this often, so proxies do not cut idle streams. */
const KEEPALIVE_MS = 15_000;

interface SseSession {
  id: string;
  server: SessionServer;
  transport: SSEServerTransport;
  principal: string | undefined;
  keepAlive: NodeJS.Timeout;
}

/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05): `GET /sse` opens a session whose
 * server-to-client messages flow on that event stream; the client POSTs its messages to
 * `/messages?sessionId=…` (the URL the stream announces first). The session lives as long as the
 * stream: it ends when the client disconnects, or at shutdown.
 */
export class SseSessions {
  private readonly sessions = new Map<string, SseSession>();
  private closing = false;

  constructor(
    private readonly host: SessionHost,
    private readonly messagesPath: string,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** GET /sse: opens a session on this response's event stream. */
  async open(res: ServerResponse, principal: string | undefined): Promise<void> {
    if (this.closing) {
      sendRpcError(res, 503, TRANSPORT_ERROR, "Service Unavailable: the hangar is shutting down");
      return;
    }
    const transport = new SSEServerTransport(this.messagesPath, res);
    const server = this.host.createServer(principal);
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(": keepalive\n\n");
    }, KEEPALIVE_MS);
    keepAlive.unref();
    const session: SseSession = { id: transport.sessionId, server, transport, principal, keepAlive };
    const serverOnClose = server.onclose;
    server.onclose = () => {
      serverOnClose?.();
      this.forget(session, "closed");
    };
    this.sessions.set(session.id, session);
    await server.connect(transport);
    this.host.log.info(`sse session ${session.id.slice(0, 8)} opened${principal === undefined ? "" : ` by ${principal}`} (${this.host.openSessions()} open)`);
    this.host.onCountChanged?.();
  }

  /** POST /messages?sessionId=…: one client message for a session; `body` is its parsed JSON. */
  async post(req: AuthedRequest, res: ServerResponse, sessionId: string | null, body: unknown, principal: string | undefined): Promise<void> {
    const session = sessionId === null ? undefined : this.sessions.get(sessionId);
    if (session === undefined || session.principal !== principal) {
      const what = sessionId === null ? "the sessionId query parameter is missing" : `no SSE session ${sessionId} here (it ended when its stream closed)`;
      sendRpcError(res, 404, SESSION_NOT_FOUND, `Session not found: ${what}. Open a new session with GET /sse`);
      return;
    }
    try {
      await session.transport.handlePostMessage(req, res, body);
    } catch (error) {
      // The transport has answered already (500: the stream is gone); the session is over.
      this.host.log.debug(`sse session ${session.id.slice(0, 8)}: ${String(error)}`);
    }
  }

  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.sessions.values()].map(async (session) => {
        this.forget(session, "closed: the hangar shut down");
        await session.server.close().catch(() => undefined);
      }),
    );
  }

  private forget(session: SseSession, why: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    clearInterval(session.keepAlive);
    this.host.log.info(`sse session ${session.id.slice(0, 8)} ${why} (${this.host.openSessions()} open)`);
    this.host.onCountChanged?.();
  }
}
