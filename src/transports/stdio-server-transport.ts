import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, McpError, type JSONRPCMessage, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { isPlainRequestOrNotification, isPlainResultResponse } from "../actors/jsonrpc-fast-path.js";
import { isBlank, LineSplitter } from "../actors/line-splitter.js";
import { readBurst } from "../actors/read-burst.js";
import { TickWrites } from "../actors/tick-writes.js";
import { byPositionParams, invalidRequestMessage, isRefusedNotification, whyNotARequest } from "./invalid-request.js";
import { splicedMessage } from "./message-text.js";
import { OpenRequests } from "./open-requests.js";

/** The longest line a client may send: 16 MiB, as a provider's default max_message_bytes. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024 * 1024;

/** A line from the client the hangar could not take as a JSON-RPC message (it was answered with an error). */
export class ClientLineError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ClientLineError";
  }
}

/** The error a request gets when the hangar answers it on its own (see answerUnanswered). */
export interface StandInError {
  code: number;
  message: string;
  data?: unknown;
}

export interface StdioServerTransportOptions {
  /** A longer line is refused with an error answer and skipped. Default MAX_CLIENT_MESSAGE_BYTES. */
  maxMessageBytes?: number;
}

/**
 * The stdio front end's MCP transport: newline-delimited JSON-RPC on the hangar's stdin and
 * stdout. It stands in for the SDK's StdioServerTransport, whose read buffer concatenates and
 * rescans its whole buffer on every chunk and which validates every line with zod's
 * JSONRPCMessageSchema — per-call work a gateway pays on each message.
 *
 * Lines are split by LineSplitter (each chunk scanned once). Each line is parsed once; the
 * requests, notifications and result answers a client sends every second are recognised by the
 * cheaper checks of jsonrpc-fast-path.ts (the rules of the SDK's strict schemas), anything else
 * goes through JSONRPCMessageSchema, which stays the judge. Each outgoing message is one line.
 * The first line of a tick is written at once (a lone answer reaches the client while the hangar
 * still does its bookkeeping); the rest of the tick's lines are corked and leave together in one
 * write when the tick ends: with many callers, the answers to a chunk of provider answers cost
 * two system calls and wake the client once or twice, not once per answer.
 *
 * An empty line, or one of only whitespace (spaces, tabs, a CR), is skipped: it carries no
 * message. A line that is not a message never ends the session (the SDK's transport reports it
 * and goes on, answering nothing): it is reported through onerror and answered as JSON-RPC asks —
 * Parse error (-32700) for a line that is not JSON, Invalid Request (-32600) for JSON that is not
 * a request (saying why, see invalid-request.ts: a JSON-RPC batch is one), with the request's id
 * when it had a usable one. A line longer than the limit is answered Invalid Request as soon as
 * it passes the limit, and its rest is skipped, so memory stays bounded (the SDK's transport
 * closes at 10 MB). A notification MCP refuses (by-position params) is only reported: JSON-RPC
 * never answers a notification. A malformed answer (a line with `result` or `error` and no
 * `method`) is only reported: answering an answer could loop.
 *
 * It keeps the ids of the client's requests not answered yet (`unanswered`) and of its own
 * requests to the client not answered yet. When stdin ends the client can send nothing more: a
 * last line without its newline is read as any other line (a blank one is ignored), then
 * `onInputEnd` runs (the front end drains, see stdin-drain.ts), the hangar's requests to the
 * client still waiting fail at once, and new ones are refused — a provider's sampling,
 * elicitation or roots request gets an error instead of waiting for an answer that cannot come.
 */
export class StdioServerLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  /** stdin ended (the client closed it): nothing more will be read. */
  onInputEnd?: () => void;

  /** The client's requests the hangar has not answered yet. */
  readonly unanswered = new OpenRequests();
  /** The hangar's requests to the client (a provider's sampling, elicitation, roots) the client has not answered yet. */
  private readonly awaitingClient = new OpenRequests();
  /** Requests answered by answerUnanswered: their own answers, should they still come, are dropped. */
  private readonly standInAnswered = new Set<RequestId>();
  private inputEnded = false;
  private readonly lines: LineSplitter;
  private readonly maxMessageBytes: number;
  private started = false;
  private closed = false;
  /** A tick's first answer leaves at once, the rest together (see send()). */
  private readonly tickWrites: TickWrites;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    options: StdioServerTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_CLIENT_MESSAGE_BYTES;
    this.tickWrites = new TickWrites(stdout);
    this.lines = new LineSplitter(this.maxMessageBytes, this.onLine, this.onOverlong, readBurst.note);
  }

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error("StdioServerLineTransport already started"));
    this.started = true;
    this.stdin.on("data", this.onData);
    this.stdin.once("end", this.onEnd);
    // These stay attached after close: an 'error' with no listener would crash the hangar.
    this.stdin.on("error", this.onStreamError);
    this.stdout.on("error", this.onStreamError);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || !this.stdout.writable) return Promise.reject(new Error("Not connected"));
    if (!("id" in message) || message.id === undefined) return this.write(message);
    if (!("method" in message)) {
      // An answer: the drain waits for the last one to be written, so it is written before it counts.
      if (this.standInAnswered.size > 0 && this.standInAnswered.has(message.id)) return Promise.resolve();
      const written = this.write(message);
      this.unanswered.closed(message.id);
      return written;
    }
    // A request to the client: after stdin ended no answer can come.
    if (this.inputEnded) {
      return Promise.reject(new McpError(ErrorCode.ConnectionClosed, `the client closed stdin: it can no longer answer ${message.method}`));
    }
    this.awaitingClient.opened(message.id);
    return this.write(message);
  }

  /**
   * Answers every request of the client still unanswered with `error`, now (a drain ran out of
   * time); their own answers, should they come later, are not written. Returns how many.
   */
  answerUnanswered(error: StandInError): number {
    if (this.closed) return 0;
    const ids = this.unanswered.takeAll();
    for (const id of ids) {
      this.standInAnswered.add(id);
      this.write({ jsonrpc: "2.0", id, error }).catch(() => undefined);
    }
    // They leave now: the process is about to shut down.
    this.tickWrites.endTick();
    return ids.length;
  }

  private write(message: JSONRPCMessage): Promise<void> {
    this.tickWrites.beforeWrite();
    if (this.writeLine(message)) return Promise.resolve();
    // Backpressure: wait for the pipe to drain, or to close, which ends the wait just as well.
    return new Promise((resolve) => {
      const done = (): void => {
        this.stdout.off("drain", done);
        this.stdout.off("close", done);
        resolve();
      };
      this.stdout.once("drain", done);
      this.stdout.once("close", done);
    });
  }

  /** Writes the message as one line; false when the stream asks to wait (backpressure). */
  private writeLine(message: JSONRPCMessage): boolean {
    const spliced = splicedMessage(message);
    if (spliced === undefined) return this.stdout.write(JSON.stringify(message) + "\n");
    // A result with its bytes made already (a cached tools/list): the three parts leave in one
    // write (corked), the result's bytes as they are.
    this.stdout.cork();
    this.stdout.write(spliced.head);
    this.stdout.write(spliced.result);
    const flowing = this.stdout.write(`${spliced.tail}\n`);
    this.stdout.uncork();
    return flowing;
  }

  /**
   * Stops reading (stdin is paused unless someone else reads it too) and reports the close once.
   * Lines corked this tick leave at once: a close is often followed by the process exiting.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.tickWrites.endTick();
    this.stdin.off("data", this.onData);
    this.stdin.off("end", this.onEnd);
    if (this.stdin.listenerCount("data") === 0) this.stdin.pause();
    this.lines.clear();
    this.onclose?.();
    return Promise.resolve();
  }

  /**
   * stdin ended. A last line without its newline is taken as a message, as line readers (the
   * Python SDK's among them) take it: `printf` scripts often leave the newline off. It is
   * delivered first — a request is then open for the drain, an answer to the hangar's request
   * still counts. Then the hangar's requests to the client still waiting fail now (their answers
   * cannot come), and the front end hears of it.
   */
  private readonly onEnd = (): void => {
    if (this.closed) return;
    this.lines.end("drop");
    this.inputEnded = true;
    for (const id of this.awaitingClient.takeAll()) {
      this.deliver({ jsonrpc: "2.0", id, error: { code: ErrorCode.ConnectionClosed, message: "the client closed stdin before answering" } });
    }
    this.onInputEnd?.();
  };

  private readonly onData = (chunk: Buffer | string): void => {
    this.lines.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  };

  private readonly onLine = (bytes: Buffer): void => {
    // onmessage may have closed the transport while lines of the same chunk were still coming.
    if (this.closed || bytes.length === 0) return;
    const line = bytes.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A line of only whitespace carries nothing: skipped, as an empty line is.
      if (!isBlank(bytes)) this.refuse(ErrorCode.ParseError, "Parse error: the line is not JSON", undefined);
      return;
    }
    if (isPlainRequestOrNotification(value) || isPlainResultResponse(value)) {
      this.deliver(value);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (parsed.success) {
      this.deliver(parsed.data);
      return;
    }
    if (isAnswer(value)) {
      this.onerror?.(new ClientLineError(ErrorCode.InvalidRequest, "a malformed JSON-RPC answer from the client was dropped"));
      return;
    }
    const byPosition = byPositionParams(value);
    if (byPosition !== undefined) {
      this.refuse(ErrorCode.InvalidParams, byPosition.message, byPosition.id);
      return;
    }
    if (isRefusedNotification(value)) {
      // JSON-RPC never answers a notification, not even a malformed one: reported, not answered.
      this.onerror?.(new ClientLineError(ErrorCode.InvalidRequest, `a notification MCP cannot take was dropped (${whyNotARequest(value)})`));
      return;
    }
    this.refuse(ErrorCode.InvalidRequest, invalidRequestMessage(value), usableId(value));
  };

  private readonly onOverlong = (): void => {
    if (this.closed) return;
    this.refuse(ErrorCode.InvalidRequest, `Invalid Request: a message longer than ${this.maxMessageBytes} bytes was skipped`, undefined);
  };

  private deliver(message: JSONRPCMessage): void {
    if ("method" in message) {
      if ("id" in message) this.unanswered.opened(message.id);
      else if (message.method === "notifications/cancelled") this.forgetCancelled(message.params);
    } else if (message.id !== undefined) this.awaitingClient.closed(message.id);
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** A request the client cancelled is not answered (the SDK's rule): nothing is owed for it any more. */
  private forgetCancelled(params: { [key: string]: unknown } | undefined): void {
    const id = params?.requestId;
    if (typeof id === "string" || typeof id === "number") this.unanswered.closed(id);
  }

  /**
   * Answers a line that is no message. Without a usable id the answer carries none: JSON-RPC
   * would write `"id": null`, which the MCP schema (and so the SDK's client) refuses as a
   * message, while an error without an id is one it reads and reports.
   */
  private refuse(code: number, message: string, id: string | number | undefined): void {
    this.onerror?.(new ClientLineError(code, message));
    if (this.closed || !this.stdout.writable) return;
    const error = { code, message };
    // Not through send(): a refused line was never an open request, even when its id is one's.
    this.write(id === undefined ? { jsonrpc: "2.0", error } : { jsonrpc: "2.0", id, error }).catch(() => undefined);
  }

  private readonly onStreamError = (error: Error): void => {
    if (!this.closed) this.onerror?.(error);
  };
}

/** A line shaped like an answer (result or error, no method): never answered in turn. */
function isAnswer(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return !Object.hasOwn(value, "method") && (Object.hasOwn(value, "result") || Object.hasOwn(value, "error"));
}

/** The id of a rejected request, when it is one a client can match (an integer or a string). */
function usableId(value: unknown): string | number | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || Number.isSafeInteger(id) ? (id as string | number) : undefined;
}
