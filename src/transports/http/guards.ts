import type { IncomingMessage, ServerResponse } from "node:http";
import { hostname as osHostname, networkInterfaces } from "node:os";

/**
 * What the HTTP front end checks before a request reaches MCP: the Host and Origin headers
 * (against DNS rebinding: a web page on evil.example must not talk to a hangar on 127.0.0.1
 * through a name that resolves there), the size of a request body, and whether an address may
 * be bound without authentication.
 */

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", "[::]", ""]);

/** True for addresses only this machine can reach: localhost, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  const bare = stripBrackets(host).toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare) || bare === "::ffff:127.0.0.1";
}

/**
 * Why binding `host` is refused, or undefined when it is fine: a non-loopback address serves
 * the network, so it needs authentication unless the operator says --insecure.
 */
export function bindRefusal(host: string, authConfigured: boolean, insecure: boolean): string | undefined {
  if (isLoopback(host) || authConfigured || insecure) return undefined;
  return (
    `refusing to serve HTTP on ${host}, which is reachable from other machines, without authentication: ` +
    "configure http.auth (tokens_env or tokens_file), bind 127.0.0.1, or pass --insecure if something else guards the port"
  );
}

/** `[::1]` for IPv6 addresses, the address itself otherwise: the form Host headers and URLs use. */
export function hostForUrl(host: string): string {
  const bare = stripBrackets(host);
  return bare.includes(":") ? `[${bare}]` : bare;
}

export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export interface HeaderGuardOptions {
  /** The address the server is bound to (as configured). */
  boundHost: string;
  /** The port it is bound to (the real one, also when 0 was asked for). */
  port: number;
  /** Extra Host values (`name`, `name:port`, `*`). */
  allowedHosts: readonly string[];
  /** Extra Origin values (`https://name[:port]`, `*`). */
  allowedOrigins: readonly string[];
}

/** A refused request: the status and a message for the client. */
export interface Refusal {
  status: number;
  message: string;
}

/**
 * Host and Origin checks. Allowed hosts are the bound address and localhost/127.0.0.1/[::1]
 * with the port (every local address and the machine's name too when bound to 0.0.0.0 or ::),
 * plus `allowed_hosts`. A request without Origin (any non-browser client) passes the origin
 * check; a browser's Origin must be one of the allowed hosts or in `allowed_origins`.
 */
export class HeaderGuard {
  private readonly exactHosts = new Set<string>();
  /** Host names allowed on any port (allowed_hosts entries written without one). */
  private readonly anyPortHosts = new Set<string>();
  private readonly anyHost: boolean;
  private readonly origins = new Set<string>();
  private readonly anyOrigin: boolean;

  constructor(options: HeaderGuardOptions) {
    const { port } = options;
    const names = [...LOOPBACK_NAMES, hostForUrl(options.boundHost)];
    if (WILDCARD_ADDRESSES.has(options.boundHost)) names.push(...localAddresses());
    for (const name of names) {
      this.exactHosts.add(`${name.toLowerCase()}:${port}`);
      if (port === 80) this.exactHosts.add(name.toLowerCase());
    }
    for (const entry of options.allowedHosts) {
      const lower = entry.toLowerCase();
      if (hasPort(lower)) this.exactHosts.add(lower);
      else this.anyPortHosts.add(lower);
    }
    this.anyHost = options.allowedHosts.includes("*");
    for (const origin of options.allowedOrigins) this.origins.add(origin.toLowerCase().replace(/\/$/, ""));
    this.anyOrigin = options.allowedOrigins.includes("*");
  }

  /** undefined when the request's Host and Origin are acceptable; otherwise a 403. */
  check(req: IncomingMessage): Refusal | undefined {
    const host = req.headers.host;
    if (!this.hostAllowed(host)) {
      return {
        status: 403,
        message: `Forbidden: Host '${host ?? ""}' is not served here (DNS rebinding protection); add it to http.allowed_hosts if it is yours`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin)) {
      return {
        status: 403,
        message: `Forbidden: Origin '${origin}' is not allowed (DNS rebinding protection); add it to http.allowed_origins if it is yours`,
      };
    }
    return undefined;
  }

  /** Whether a browser page from `origin` may call (for CORS headers). */
  originAllowed(origin: string): boolean {
    if (this.anyOrigin) return true;
    const normalized = origin.toLowerCase().replace(/\/$/, "");
    if (this.origins.has(normalized)) return true;
    let url: URL;
    try {
      url = new URL(normalized);
    } catch {
      return false; // "null" (sandboxed frames, file://) and garbage
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return this.hostAllowed(url.host);
  }

  private hostAllowed(host: string | undefined): boolean {
    if (this.anyHost) return true;
    if (host === undefined || host === "") return false;
    const lower = host.toLowerCase();
    if (this.exactHosts.has(lower)) return true;
    return this.anyPortHosts.has(withoutPort(lower));
  }
}

function hasPort(host: string): boolean {
  return /:\d+$/.test(host) && (!host.startsWith("[") || host.includes("]:"));
}

function withoutPort(host: string): string {
  return hasPort(host) ? host.slice(0, host.lastIndexOf(":")) : host;
}

/** Every address of this machine's interfaces, and its name: what clients may call a wildcard-bound hangar. */
function localAddresses(): string[] {
  const out = [osHostname()];
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) out.push(hostForUrl(info.address.split("%")[0] ?? info.address));
  }
  return out;
}

/** The client went away while its request body was being read: nobody is left to answer. */
export class ClientGoneError extends Error {
  override readonly name = "ClientGoneError";
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; status: 413; message: string };

const NO_BODY = Buffer.alloc(0);

/**
 * Reads a request body of at most `limit` bytes and hands it to `done`, or the client's
 * disappearance to `gone`. A declared Content-Length over the limit is refused before a byte is
 * read; a body that grows past it is refused as soon as it does. After answering a refusal, call
 * `discardRest` so the client gets to read the answer.
 *
 * Callbacks, not a promise, and as little as it takes per request (this runs on every call): a
 * body that arrives whole in one chunk (a tools/call nearly always does) is handed over as that
 * chunk, as soon as it has all the declared bytes, without waiting a tick for 'end'; a chunked
 * body, or one in several pieces, is gathered until 'end'. No 'error' listener: an
 * IncomingMessage emits no error nobody listens for, and a connection lost mid-body shows as
 * 'close' before the body was complete.
 */
export function readBody(req: IncomingMessage, limit: number, done: (result: BodyResult) => void, gone: (error: ClientGoneError) => void): void {
  const header = req.headers["content-length"];
  // Node's parser has checked it is a number and frames the body by it (a chunked body has none).
  const declared = header === undefined ? -1 : Number(header);
  if (declared > limit) {
    done(tooLarge(limit));
    return;
  }
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  let settled = false;
  const finish = (): void => {
    if (settled) return;
    settled = true;
    done({ ok: true, body: more === undefined ? (first ?? NO_BODY) : Buffer.concat(more, size) });
  };
  const onData = (chunk: Buffer): void => {
    if (settled) return;
    size += chunk.length;
    if (size > limit) {
      settled = true;
      req.off("data", onData);
      req.pause();
      first = undefined;
      more = undefined;
      done(tooLarge(limit));
      return;
    }
    if (first === undefined) first = chunk;
    else (more ??= [first]).push(chunk);
    if (size === declared) finish();
  };
  req.on("data", onData);
  req.on("end", finish);
  req.on("close", () => {
    if (settled) return;
    settled = true;
    gone(new ClientGoneError("the connection closed before the whole body arrived"));
  });
}

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, message: `Payload Too Large: request bodies are limited to ${limit} bytes (http.max_body_bytes)` };
}

/**
 * Reads and drops what is left of a refused body, so the client finishes sending and reads the
 * answer; a client that sends more than `budget` further bytes is cut off once the answer is out.
 */
export function discardRest(req: IncomingMessage, res: ServerResponse, budget: number): void {
  let dropped = 0;
  const cut = (): void => {
    req.socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped <= budget) return;
    req.off("data", onData);
    if (res.writableFinished) cut();
    else res.once("finish", cut);
  };
  req.on("data", onData);
  req.on("error", () => undefined);
  req.resume();
}
