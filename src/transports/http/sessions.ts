import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../../observability/log.js";
import type { createHangarServer } from "../mcp-server.js";
import { SESSION_NOT_FOUND, sendRpcError, TRANSPORT_ERROR } from "./responses.js";
import { NodeStreamableTransport } from "./streamable-transport.js";

/** One MCP server session (see createHangarServer): all of them share the runtime and catalogue. */
export type SessionServer = ReturnType<typeof createHangarServer>;

/** A request as the transports read it: `auth` carries the principal to the tools/call handler. */
export type AuthedRequest = IncomingMessage & { auth?: AuthInfo };

/** What the session tables need from the HTTP server. */
export interface SessionHost {
  /** A new MCP server session over the shared runtime and catalogue, for the principal that opens it (sessions are bound to it). */
  createServer: (principal: string | undefined) => SessionServer;
  log: Logger;
  /** Open sessions of every transport (for log lines). */
  openSessions: () => number;
  /** Called whenever the number of open sessions changes (for the sessions gauge). */
  onCountChanged?: () => void;
}

interface Session {
  id: string;
  server: SessionServer;
  transport: NodeStreamableTransport;
  principal: string | undefined;
  /** When its last request came in; its transport knows when the last one was answered, and whether one still runs. */
  lastSeen: number;
  timer: NodeJS.Timeout | undefined;
}

/** How many ended session ids are remembered, to tell "expired" from "unknown" in the 404. */
const ENDED_REMEMBERED = 10_000;

/**
 * Streamable HTTP sessions keyed by `Mcp-Session-Id`: an initialize request without the header
 * opens one (its own MCP server and transport); later requests are routed by the header. A
 * session ends on DELETE, when it has had no request for `idleMs` (an open GET stream alone does
 * not keep it), or at shutdown. A request for a session that is gone gets 404 with a JSON-RPC
 * error saying so, which tells the client to initialize again.
 */
export class StreamableSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly ended = new Map<string, string>();
  private closing = false;

  constructor(
    private readonly host: SessionHost,
    private readonly idleMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Answers one request to the MCP endpoint; `body` is the parsed JSON of a POST. A POST to an
   * open session (nearly every request) is handed to its transport at once; opening a session
   * and DELETE return a promise.
   */
  handle(req: AuthedRequest, res: ServerResponse, body: unknown, principal: string | undefined): Promise<void> | undefined {
    const header = req.headers["mcp-session-id"];
    if (Array.isArray(header)) {
      sendRpcError(res, 400, TRANSPORT_ERROR, "Bad Request: more than one Mcp-Session-Id header");
      return undefined;
    }
    if (header === undefined || header === "") return this.open(req, res, body, principal);
    const session = this.sessions.get(header);
    // Another principal's session is answered like an unknown one: ids are not shared secrets to probe.
    if (session === undefined || session.principal !== principal) {
      sendRpcError(res, 404, SESSION_NOT_FOUND, this.goneMessage(header, session === undefined));
      return undefined;
    }
    session.lastSeen = performance.now();
    if (req.method === "GET") {
      session.transport.handleGet(req, res);
      return undefined;
    }
    if (req.method === "DELETE") {
      this.remember(session.id, "was closed by the client (DELETE)");
      return session.transport.handleDelete(req, res);
    }
    if (isInitialize(body)) {
      sendRpcError(res, 400, -32600, "Invalid Request: Server already initialized");
      return undefined;
    }
    session.transport.handlePost(req, res, body, req.auth, false);
    return undefined;
  }

  /** Ends every session (shutdown): their streams close and their servers stop listening to the catalogue. */
  async closeAll(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions.values()];
    await Promise.all(all.map((session) => this.end(session, "closed: the hangar shut down")));
  }

  private async open(req: AuthedRequest, res: ServerResponse, body: unknown, principal: string | undefined): Promise<void> {
    if (req.method !== "POST" || !isInitialize(body)) {
      sendRpcError(
        res,
        400,
        TRANSPORT_ERROR,
        "Bad Request: Mcp-Session-Id header is required; start a session by sending an initialize request without it",
      );
      return;
    }
    if (this.closing) {
      sendRpcError(res, 503, TRANSPORT_ERROR, "Service Unavailable: the hangar is shutting down");
      return;
    }
    const server = this.host.createServer(principal);
    const transport = new NodeStreamableTransport({ sessionId: randomUUID() });
    const session: Session = { id: transport.sessionId, server, transport, principal, lastSeen: performance.now(), timer: undefined };
    // The hangar server's own onclose (which stops it watching the catalogue) runs first.
    const serverOnClose = server.onclose;
    server.onclose = () => {
      serverOnClose?.();
      this.forget(session, "was closed");
    };
    await server.connect(transport);
    if (!transport.handlePost(req, res, body, req.auth, true)) {
      // Refused before the server saw it (wrong Accept, not JSON-RPC): no session was opened.
      await server.close();
      return;
    }
    this.sessions.set(session.id, session);
    this.schedule(session, this.idleMs);
    this.host.log.info(`http session ${shortId(session.id)} opened${principal === undefined ? "" : ` by ${principal}`} (${this.host.openSessions()} open)`);
    this.host.onCountChanged?.();
  }

  /**
   * One timer per session, re-armed only when it fires: requests just move `lastSeen` (and their
   * answers the transport's `settledAt`), so the hot path arms no timer and adds no listener.
   */
  private schedule(session: Session, delayMs: number): void {
    session.timer = setTimeout(() => {
      session.timer = undefined;
      if (this.sessions.get(session.id) !== session) return;
      const { transport } = session;
      const idle = performance.now() - Math.max(session.lastSeen, transport.settledAt);
      if (transport.busy) this.schedule(session, this.idleMs);
      else if (idle + 1 >= this.idleMs) void this.end(session, `expired after ${seconds(this.idleMs)} s without requests`);
      else this.schedule(session, this.idleMs - idle);
    }, delayMs);
    session.timer.unref();
  }

  private async end(session: Session, why: string): Promise<void> {
    if (this.sessions.get(session.id) !== session) return;
    this.remember(session.id, why);
    this.forget(session, why);
    try {
      await session.server.close();
    } catch (error) {
      this.host.log.warn(`closing http session ${shortId(session.id)} failed`, { error: String(error) });
    }
  }

  private forget(session: Session, why: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    if (session.timer !== undefined) clearTimeout(session.timer);
    const reason = this.ended.get(session.id) ?? why;
    this.remember(session.id, reason);
    this.host.log.info(`http session ${shortId(session.id)} ${reason} (${this.host.openSessions()} open)`);
    this.host.onCountChanged?.();
  }

  private remember(id: string, why: string): void {
    if (this.ended.has(id)) return;
    this.ended.set(id, why);
    if (this.ended.size > ENDED_REMEMBERED) {
      const oldest = this.ended.keys().next();
      if (oldest.done !== true) this.ended.delete(oldest.value);
    }
  }

  private goneMessage(id: string, unknown: boolean): string {
    const why = unknown ? this.ended.get(id) : undefined;
    const what = why === undefined ? `no session ${id} here (unknown, expired, or the hangar restarted)` : `session ${id} ${why}`;
    return `Session not found: ${what}. Start a new session: send an initialize request without the Mcp-Session-Id header`;
  }
}

/** An initialize request (or a batch holding one). The SDK's zod check runs only on a message whose method says so: on every other POST it would cost more than the rest of the routing. */
function isInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some(isInitializeMessage) : isInitializeMessage(body);
}

function isInitializeMessage(message: unknown): boolean {
  return typeof message === "object" && message !== null && (message as { method?: unknown }).method === "initialize" && isInitializeRequest(message);
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
