import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type MessageExtraInfo, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { messageText, splicedMessage, type SplicedMessage } from "../message-text.js";
import { PARSE_ERROR, sendRpcError, TRANSPORT_ERROR } from "./responses.js";

/**
 * The server side of one streamable HTTP session (MCP 2025-03-26 and later), written against
 * node:http directly. The SDK's transport answers through web streams and a Request/Response
 * adapter, which cost more CPU per call than everything else the hangar does for it (measured in
 * the HTTP benchmark); this one writes each answer straight to the ServerResponse.
 *
 * A POST holding requests is answered as `application/json` when the answer is the first thing
 * the server sends for it — the common case, a plain tool call. As soon as the server sends a
 * message related to one of its requests first (progress, a sampling or elicitation request),
 * or the answer takes longer than {@link STREAM_AFTER_MS}, the response turns into an event
 * stream, which stays open until every request of the POST is answered. Both are allowed by the
 * spec and every client must take either. Not supported: resuming streams (Last-Event-ID).
 *
 * A JSON answer goes out with its Content-Length, in one write (headers and body together): node
 * would otherwise frame it as chunked, which costs the hangar and the client CPU on every call.
 */

/** An answer not ready by then is streamed, with keep-alive comments, so proxies keep the request open. */
const STREAM_AFTER_MS = 10_000;
/** A comment line on every event stream this often. */
const KEEPALIVE_MS = 15_000;
const SWEEP_MS = 5_000;

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  Connection: "keep-alive",
  "X-Accel-Buffering": "no",
} as const;

/** One POST and the requests it carries that still await an answer. */
interface Exchange {
  res: ServerResponse;
  waiting: number;
  /** Answers held for a JSON body (a batch answers all at once); unused once streaming. */
  answers: JSONRPCMessage[];
  streaming: boolean;
  /** A JSON array body: answered with an array, even of one. */
  batch: boolean;
  openedAt: number;
  lastWrite: number;
  ids: RequestId[];
}

export interface StreamableTransportOptions {
  sessionId: string;
}

export class NodeStreamableTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly byRequest = new Map<RequestId, Exchange>();
  private readonly exchanges = new Set<Exchange>();
  /** The GET stream for messages unrelated to any request (list changes, requests out of the blue). */
  private standalone: { res: ServerResponse; lastWrite: number } | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  /** When the last POST's response closed (answered, or its client gone): the session's idle clock reads it. */
  private lastSettled = performance.now();

  constructor(options: StreamableTransportOptions) {
    this.sessionId = options.sessionId;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Whether a POST still awaits answers: a session is never idle while one does. */
  get busy(): boolean {
    return this.exchanges.size > 0;
  }

  /** When this session last finished a POST (performance.now()); see {@link busy}. */
  get settledAt(): number {
    return this.lastSettled;
  }

  /**
   * A POST to this session, `body` its parsed JSON. Returns false when it was refused before any
   * message reached the server (wrong Accept, bad protocol version, not JSON-RPC).
   */
  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown, authInfo: AuthInfo | undefined, initializing: boolean): boolean {
    const accept = req.headers.accept ?? "";
    if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
      sendRpcError(res, 406, TRANSPORT_ERROR, "Not Acceptable: Client must accept both application/json and text/event-stream");
      return false;
    }
    if (!initializing && !this.protocolVersionAccepted(req, res)) return false;
    const messages = Array.isArray(body) ? (body as unknown[]) : [body];
    if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
      sendRpcError(res, 400, PARSE_ERROR, "Parse error: Invalid JSON-RPC message");
      return false;
    }
    if (this.closed) {
      sendRpcError(res, 404, TRANSPORT_ERROR, "Session not found: it was closed");
      return false;
    }
    const extra: MessageExtraInfo = { authInfo, requestInfo: { headers: req.headers } };
    let exchange: Exchange | undefined;
    for (const message of messages) {
      if (!isRequest(message)) continue;
      exchange ??= this.openExchange(res, Array.isArray(body));
      exchange.waiting++;
      exchange.ids.push(message.id);
      this.byRequest.set(message.id, exchange);
    }
    if (exchange === undefined) {
      // Only notifications and responses: nothing to answer but "accepted".
      res.writeHead(202, { "Content-Length": "0", "mcp-session-id": this.sessionId }).end();
    }
    for (const message of messages) this.onmessage?.(message, extra);
    return true;
  }

  /** GET: the session's one stream for messages not related to a request. */
  handleGet(req: IncomingMessage, res: ServerResponse): void {
    if (!(req.headers.accept ?? "").includes("text/event-stream")) {
      sendRpcError(res, 406, TRANSPORT_ERROR, "Not Acceptable: Client must accept text/event-stream");
      return;
    }
    if (!this.protocolVersionAccepted(req, res)) return;
    if (this.closed) {
      sendRpcError(res, 404, TRANSPORT_ERROR, "Session not found: it was closed");
      return;
    }
    if (this.standalone !== undefined) {
      sendRpcError(res, 409, TRANSPORT_ERROR, "Conflict: Only one SSE stream is allowed per session");
      return;
    }
    res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.sessionId });
    res.flushHeaders();
    const stream = { res, lastWrite: performance.now() };
    this.standalone = stream;
    this.ensureSweeper();
    res.once("close", () => {
      if (this.standalone === stream) this.standalone = undefined;
    });
  }

  /** DELETE: the client ends the session. */
  async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.protocolVersionAccepted(req, res)) return;
    await this.close();
    res.writeHead(200, { "mcp-session-id": this.sessionId }).end();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if ("result" in message || "error" in message) {
      this.answer(message);
      return Promise.resolve();
    }
    const related = options?.relatedRequestId;
    const exchange = related === undefined ? undefined : this.byRequest.get(related);
    if (exchange !== undefined) {
      this.stream(exchange);
      writeEvent(exchange.res, message);
      exchange.lastWrite = performance.now();
    } else if (this.standalone !== undefined) {
      writeEvent(this.standalone.res, message);
      this.standalone.lastWrite = performance.now();
    }
    // Otherwise no stream can carry it: the client has not opened a GET stream (the SDK's
    // transport drops such messages the same way).
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    for (const exchange of this.exchanges) {
      if (exchange.res.headersSent) exchange.res.end();
      else sendRpcError(exchange.res, 404, TRANSPORT_ERROR, "Session not found: it was closed while this request was running");
    }
    this.exchanges.clear();
    this.byRequest.clear();
    this.standalone?.res.end();
    this.standalone = undefined;
    this.onclose?.();
    return Promise.resolve();
  }

  private openExchange(res: ServerResponse, batch: boolean): Exchange {
    const now = performance.now();
    const exchange: Exchange = { res, waiting: 0, answers: [], streaming: false, batch, openedAt: now, lastWrite: now, ids: [] };
    this.exchanges.add(exchange);
    this.ensureSweeper();
    // Answered, or its client went away (which takes its pending answers with it; late answers are
    // dropped). `on`, not `once`: a response closes once, and once() wraps every listener.
    res.on("close", () => {
      this.forget(exchange);
    });
    return exchange;
  }

  private answer(message: JSONRPCMessage & { id?: RequestId }): void {
    const id = message.id;
    const exchange = id === undefined ? undefined : this.byRequest.get(id);
    if (exchange === undefined || id === undefined) return; // its client is gone
    this.byRequest.delete(id);
    exchange.waiting--;
    if (exchange.streaming) {
      writeEvent(exchange.res, message);
      if (exchange.waiting === 0) {
        this.settle(exchange);
        exchange.res.end();
      }
      return;
    }
    exchange.answers.push(message);
    if (exchange.waiting > 0) return;
    this.settle(exchange);
    const spliced = exchange.batch ? undefined : splicedMessage(message);
    if (spliced !== undefined) {
      this.answerSpliced(exchange.res, spliced);
      return;
    }
    const body = exchange.batch ? `[${exchange.answers.map(messageText).join(",")}]` : JSON.stringify(message);
    exchange.res
      .writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "mcp-session-id": this.sessionId })
      .end(body);
  }

  /** A result with its bytes made already (a cached tools/list): written as they are, between the message's other members, in one write (corked). */
  private answerSpliced(res: ServerResponse, { head, result, tail }: SplicedMessage): void {
    const length = Buffer.byteLength(head) + result.length + Buffer.byteLength(tail);
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": length, "mcp-session-id": this.sessionId });
    res.cork();
    res.write(head);
    res.write(result);
    res.end(tail);
    res.uncork();
  }

  /** Turns a POST's answer into an event stream, writing whatever answers it already holds. */
  private stream(exchange: Exchange): void {
    if (exchange.streaming) return;
    exchange.streaming = true;
    exchange.res.writeHead(200, { ...SSE_HEADERS, "mcp-session-id": this.sessionId });
    for (const held of exchange.answers) writeEvent(exchange.res, held);
    exchange.answers = [];
  }

  /** A POST answered in full: no longer waited on. */
  private settle(exchange: Exchange): void {
    this.exchanges.delete(exchange);
    this.lastSettled = performance.now();
  }

  /** A POST whose response closed, answered or not (its client went away): late answers are dropped. */
  private forget(exchange: Exchange): void {
    if (!this.exchanges.delete(exchange)) return;
    this.lastSettled = performance.now();
    for (const id of exchange.ids) if (this.byRequest.get(id) === exchange) this.byRequest.delete(id);
  }

  private protocolVersionAccepted(req: IncomingMessage, res: ServerResponse): boolean {
    const version = req.headers["mcp-protocol-version"];
    if (version === undefined || (typeof version === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(version))) return true;
    sendRpcError(
      res,
      400,
      TRANSPORT_ERROR,
      `Bad Request: Unsupported protocol version: ${String(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
    );
    return false;
  }

  /** One timer per session, not per call: it streams slow answers and keeps open streams alive. */
  private ensureSweeper(): void {
    if (this.sweeper !== undefined || this.closed) return;
    this.sweeper = setInterval(() => {
      this.sweep();
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  private sweep(): void {
    const now = performance.now();
    for (const exchange of this.exchanges) {
      if (!exchange.streaming && now - exchange.openedAt >= STREAM_AFTER_MS) this.stream(exchange);
      if (exchange.streaming && now - exchange.lastWrite >= KEEPALIVE_MS) {
        exchange.res.write(": keepalive\n\n");
        exchange.lastWrite = now;
      }
    }
    const standalone = this.standalone;
    if (standalone !== undefined && now - standalone.lastWrite >= KEEPALIVE_MS) {
      standalone.res.write(": keepalive\n\n");
      standalone.lastWrite = now;
    }
    if (this.exchanges.size === 0 && standalone === undefined && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

function writeEvent(res: ServerResponse, message: JSONRPCMessage): void {
  res.write(`event: message\ndata: ${messageText(message)}\n\n`);
}

function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const message = value as { jsonrpc?: unknown; method?: unknown; id?: unknown; result?: unknown; error?: unknown };
  if (message.jsonrpc !== "2.0") return false;
  if (typeof message.method === "string") return true;
  return (typeof message.id === "string" || typeof message.id === "number") && ("result" in message || "error" in message);
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return "method" in message && "id" in message;
}
