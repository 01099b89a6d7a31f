import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { ExposeMode } from "../../config/types.js";
import type { Logger } from "../../observability/log.js";
import type { HangarRuntime } from "../../runtime/hangar-runtime.js";
import { SecurityControls } from "../../security/security-controls.js";
import { createHangarServer } from "../mcp-server.js";
import type { ToolCatalogue } from "../tool-catalogue.js";
import type { TokenAuthenticator } from "./auth.js";
import { ClientGoneError, discardRest, HeaderGuard, hostForUrl, readBody, stripBrackets } from "./guards.js";
import { healthResponse, readinessResponse } from "./health.js";
import { PARSE_ERROR, sendJson, sendRpcError, TRANSPORT_ERROR } from "./responses.js";
import { StreamableSessions, type AuthedRequest } from "./sessions.js";
import { SseSessions } from "./sse.js";

export const MCP_PATH = "/mcp";
export const SSE_PATH = "/sse";
export const MESSAGES_PATH = "/messages";
export const HEALTH_PATH = "/health";
export const READY_PATH = "/ready";
export const DEFAULT_METRICS_PATH = "/metrics";

/** Prometheus metrics as the HTTP server serves them (observability/metrics provides one). */
export interface MetricsEndpoint {
  contentType: string;
  render(): Promise<string>;
}

export interface HttpServerOptions {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  expose: ExposeMode;
  /** Address to bind; `port` 0 binds any free port (see HangarHttpServer.url). */
  host: string;
  port: number;
  sessionIdleS: number;
  maxBodyBytes: number;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
  /** Bearer tokens; undefined = no authentication (only ever on loopback, or with --insecure). */
  authenticator: TokenAuthenticator | undefined;
  /** Whether /metrics asks for a token too (when there are tokens). */
  metricsAuth: boolean;
  /** Mounted at `metricsPath` when given. */
  metrics?: MetricsEndpoint;
  metricsPath?: string;
  log: Logger;
  /** Told the number of open sessions (streamable HTTP + SSE) whenever it changes. */
  onSessionsChanged?: (count: number) => void;
}

export interface HangarHttpServer {
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  url: string;
  port: number;
  /** Open MCP sessions, streamable HTTP and SSE together. */
  sessions(): number;
  /** Stops accepting, ends every session and connection. Providers are the runtime's business. */
  close(): Promise<void>;
}

const CORS_ALLOW_HEADERS = "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID";
const CORS_EXPOSE_HEADERS = "Mcp-Session-Id, WWW-Authenticate";
/** Of a refused body, at least this much more is read and dropped before the connection is cut. */
const DISCARD_AT_LEAST = 1024 * 1024;
/** How long shutdown waits for open connections before cutting them. */
const CLOSE_GRACE_MS = 1_000;

/**
 * The HTTP front end: MCP streamable HTTP at /mcp (a session per client), the legacy HTTP+SSE
 * transport at /sse + /messages, /health and /ready, and /metrics when metrics are on — one
 * node:http server in front of the one runtime and tool catalogue every session shares.
 * Every request passes the Host/Origin guard; MCP endpoints (and /metrics with metrics_auth)
 * need a bearer token when tokens are configured; request bodies are size-limited.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HangarHttpServer> {
  const { runtime, catalogue, expose, log, authenticator } = options;
  const metricsPath = options.metricsPath ?? DEFAULT_METRICS_PATH;
  let accepting = true;
  // Set once listening: the allowed Host values name the real port.
  const bound: { guard: HeaderGuard | undefined } = { guard: undefined };

  // One set of controls for every session: rate-limit buckets are per principal, not per session.
  const security = new SecurityControls(runtime.config, { frontEnd: "http", specOf: (id) => runtime.spec(id), membersOf: (id) => runtime.groupMemberIds(id), events: runtime.events });
  const host = {
    // What a session shows (its instructions) follows its principal's provider lists, which do not depend on roles.
    createServer: (principal: string | undefined) => createHangarServer(runtime, catalogue, expose, security, { principal, roles: [] }),
    log,
    openSessions: () => streamable.size + sse.size,
    onCountChanged: () => options.onSessionsChanged?.(streamable.size + sse.size),
  };
  const streamable = new StreamableSessions(host, options.sessionIdleS * 1000);
  const sse = new SseSessions(host, MESSAGES_PATH);

  /** The principal, or undefined after answering 401. `null` stands for "no authentication configured". */
  const authenticate = (req: IncomingMessage, res: ServerResponse): { principal: string | undefined; roles: readonly string[] } | undefined => {
    if (authenticator === undefined) return { principal: undefined, roles: [] };
    const result = authenticator.authenticate(req.headers.authorization);
    if (result.ok) return { principal: result.principal, roles: result.roles };
    const challenge =
      result.reason === "missing"
        ? 'Bearer realm="mcp-hangar"'
        : 'Bearer realm="mcp-hangar", error="invalid_token", error_description="the bearer token is not valid"';
    const message =
      result.reason === "missing"
        ? "Unauthorized: send Authorization: Bearer <token>"
        : "Unauthorized: the bearer token is not valid";
    log.debug(`http ${req.method ?? "?"} ${pathOf(req)} refused: ${result.reason} token`);
    sendRpcError(res, 401, TRANSPORT_ERROR, message, { "WWW-Authenticate": challenge });
    return undefined;
  };

  /** A request that failed after it was routed: answered 500 if nothing was sent yet, only logged if its client is gone. */
  const fail = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    if (error instanceof ClientGoneError) {
      log.debug(`http ${req.method ?? "?"} ${pathOf(req)}: ${error.message}`);
      return;
    }
    log.error(`http ${req.method ?? "?"} ${pathOf(req)} failed`, { error: String(error) });
    if (!res.headersSent) sendRpcError(res, 500, TRANSPORT_ERROR, "Internal Server Error");
    else res.end();
  };

  /** Runs one step of a request (synchronous, or a promise for the slow routes), sending what it throws or rejects with to `fail`. */
  const run = (req: IncomingMessage, res: ServerResponse, step: () => Promise<void> | undefined): void => {
    try {
      step()?.catch((error: unknown) => {
        fail(req, res, error);
      });
    } catch (error) {
      fail(req, res, error);
    }
  };

  /** Reads a POST's JSON body and hands it to `use`; a body over the limit (413) or not JSON (400) is answered here instead. */
  const withJsonBody = (req: IncomingMessage, res: ServerResponse, use: (body: unknown) => Promise<void> | undefined): void => {
    readBody(
      req,
      options.maxBodyBytes,
      (body) => {
        if (!body.ok) {
          log.debug(`http ${req.method ?? "?"} ${pathOf(req)} refused: body over ${options.maxBodyBytes} bytes`);
          // The rest of the body is read and dropped (not cut off), so the client gets to read the 413.
          sendRpcError(res, body.status, TRANSPORT_ERROR, body.message);
          discardRest(req, res, Math.max(options.maxBodyBytes, DISCARD_AT_LEAST));
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(body.body.toString("utf8"));
        } catch {
          sendRpcError(res, 400, PARSE_ERROR, "Parse error: the request body is not valid JSON");
          return;
        }
        run(req, res, () => use(value));
      },
      (gone) => {
        fail(req, res, gone);
      },
    );
  };

  /**
   * Routes one request. Synchronous up to the body: a POST to /mcp reads its body with callbacks
   * and goes on to its session from there, without a promise per step; the slow routes (opening
   * a session, DELETE, SSE, metrics) return one.
   */
  const route = (req: AuthedRequest, res: ServerResponse): Promise<void> | undefined => {
    // Only POST bodies are read; any other body is drained so the connection stays usable.
    if (req.method !== "POST") req.resume();
    const guard = bound.guard;
    if (guard === undefined) {
      sendRpcError(res, 503, TRANSPORT_ERROR, "Service Unavailable: starting");
      return undefined;
    }
    const refusal = guard.check(req);
    if (refusal !== undefined) {
      log.debug(`http ${req.method ?? "?"} ${pathOf(req)} refused: ${refusal.message}`);
      sendRpcError(res, refusal.status, TRANSPORT_ERROR, refusal.message);
      return undefined;
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
      res.setHeader("Vary", "Origin");
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
        "Access-Control-Max-Age": "600",
      });
      res.end();
      return undefined;
    }
    if (!accepting) res.setHeader("Connection", "close");
    const path = pathOf(req);
    const method = req.method ?? "GET";
    switch (path) {
      case HEALTH_PATH:
      case READY_PATH: {
        if (!allowMethods(req, res, ["GET", "HEAD"])) return undefined;
        const probe =
          path === HEALTH_PATH ? healthResponse(runtime) : readinessResponse({ runtime, configLoaded: true, accepting });
        sendJson(res, probe.status, probe.body);
        return undefined;
      }
      case MCP_PATH: {
        if (!allowMethods(req, res, ["GET", "POST", "DELETE"])) return undefined;
        const auth = authenticate(req, res);
        if (auth === undefined) return undefined;
        attachPrincipal(req, auth.principal, auth.roles);
        if (method !== "POST") return streamable.handle(req, res, undefined, auth.principal);
        if (!(req.headers["content-type"] ?? "").includes("application/json")) {
          // As the SDK's transport answers. The body is read and dropped as a refused one over the
          // size limit is, so the client reads the 415 and the connection stays usable.
          sendRpcError(res, 415, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json");
          discardRest(req, res, Math.max(options.maxBodyBytes, DISCARD_AT_LEAST));
          return undefined;
        }
        withJsonBody(req, res, (body) => streamable.handle(req, res, body, auth.principal));
        return undefined;
      }
      case SSE_PATH: {
        if (!allowMethods(req, res, ["GET"])) return undefined;
        const auth = authenticate(req, res);
        if (auth === undefined) return undefined;
        return sse.open(res, auth.principal);
      }
      case MESSAGES_PATH: {
        if (!allowMethods(req, res, ["POST"])) return undefined;
        const auth = authenticate(req, res);
        if (auth === undefined) return undefined;
        attachPrincipal(req, auth.principal, auth.roles);
        const sessionId = new URL(req.url ?? "/", "http://hangar.invalid").searchParams.get("sessionId");
        withJsonBody(req, res, (body) => sse.post(req, res, sessionId, body, auth.principal));
        return undefined;
      }
      default:
        break;
    }
    if (options.metrics !== undefined && path === metricsPath) {
      if (!allowMethods(req, res, ["GET", "HEAD"])) return undefined;
      if (options.metricsAuth && authenticate(req, res) === undefined) return undefined;
      return serveMetrics(res, options.metrics);
    }
    const paths = [MCP_PATH, SSE_PATH, MESSAGES_PATH, HEALTH_PATH, READY_PATH, ...(options.metrics ? [metricsPath] : [])];
    sendJson(res, 404, { error: `nothing at ${path}; this hangar serves ${paths.join(", ")}` });
    return undefined;
  };

  const server = createServer((req, res) => {
    run(req, res, () => route(req, res));
  });

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new Error(listenErrorMessage(options.host, options.port, error)));
    };
    server.once("error", onError);
    server.listen({ host: stripBrackets(options.host), port: options.port }, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
  bound.guard = new HeaderGuard({
    boundHost: options.host,
    port: address.port,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  });
  server.on("error", (error) => {
    log.error("the HTTP server failed", { error: String(error) });
  });

  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl(options.host)}:${address.port}`,
    port: address.port,
    sessions: () => streamable.size + sse.size,
    close: () => {
      closing ??= (async () => {
        accepting = false;
        const closed = new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        });
        await Promise.all([streamable.closeAll(), sse.closeAll()]);
        server.closeIdleConnections();
        const force = setTimeout(() => {
          server.closeAllConnections();
        }, CLOSE_GRACE_MS);
        force.unref();
        await closed;
        clearTimeout(force);
      })();
      return closing;
    },
  };
}

async function serveMetrics(res: ServerResponse, metrics: MetricsEndpoint): Promise<void> {
  const body = await metrics.render();
  res.writeHead(200, { "Content-Type": metrics.contentType, "Cache-Control": "no-store" });
  res.end(body);
}

/** The principal travels with the request into the SDK (`extra.authInfo`), and from there into each call. */
function attachPrincipal(req: AuthedRequest, principal: string | undefined, roles: readonly string[]): void {
  if (principal === undefined) return;
  // The token itself stays out: nothing downstream needs it, and nothing may log it. The roles
  // (admin) travel as scopes to the security controls.
  const info: AuthInfo = { token: "", clientId: principal, scopes: [...roles] };
  req.auth = info;
}

function allowMethods(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean {
  if (methods.includes(req.method ?? "")) return true;
  sendRpcError(res, 405, TRANSPORT_ERROR, `Method Not Allowed: use ${methods.join(", ")}`, { Allow: methods.join(", ") });
  return false;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function listenErrorMessage(host: string, port: number, error: NodeJS.ErrnoException): string {
  const where = `${hostForUrl(host)}:${port}`;
  switch (error.code) {
    case "EADDRINUSE":
      return `cannot listen on ${where}: the port is in use (pick another with --port, or 0 for any free port)`;
    case "EACCES":
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return `cannot listen on ${where}: no such address on this machine`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}
