import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { isPlainRequestOrNotification, isPlainResultResponse } from "../actors/jsonrpc-fast-path.js";
import { LineSplitter } from "../actors/line-splitter.js";
import { readBurst } from "../actors/read-burst.js";
import { TickWrites } from "../actors/tick-writes.js";

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
 * A line that is not a message never ends the session (the SDK's transport reports it and goes
 * on, answering nothing): it is reported through onerror and answered as JSON-RPC asks — Parse
 * error (-32700) for a line that is not JSON, Invalid Request (-32600) for JSON that is not a
 * request, with the request's id when it had a usable one. A line longer than the limit is
 * answered Invalid Request as soon as it passes the limit, and its rest is skipped, so memory
 * stays bounded (the SDK's transport closes at 10 MB). A malformed answer (a line with `result`
 * or `error` and no `method`) is only reported: answering an answer could loop.
 */
export class StdioServerLineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

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
    // These stay attached after close: an 'error' with no listener would crash the hangar.
    this.stdin.on("error", this.onStreamError);
    this.stdout.on("error", this.onStreamError);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || !this.stdout.writable) return Promise.reject(new Error("Not connected"));
    this.tickWrites.beforeWrite();
    if (this.stdout.write(JSON.stringify(message) + "\n")) return Promise.resolve();
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

  /**
   * Stops reading (stdin is paused unless someone else reads it too) and reports the close once.
   * Lines corked this tick leave at once: a close is often followed by the process exiting.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.tickWrites.endTick();
    this.stdin.off("data", this.onData);
    if (this.stdin.listenerCount("data") === 0) this.stdin.pause();
    this.lines.clear();
    this.onclose?.();
    return Promise.resolve();
  }

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
      this.refuse(ErrorCode.ParseError, "Parse error: the line is not JSON", undefined);
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
    this.refuse(ErrorCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 request or notification", usableId(value));
  };

  private readonly onOverlong = (): void => {
    if (this.closed) return;
    this.refuse(ErrorCode.InvalidRequest, `Invalid Request: a message longer than ${this.maxMessageBytes} bytes was skipped`, undefined);
  };

  private deliver(message: JSONRPCMessage): void {
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Answers a line that is no message. Without a usable id the answer carries none: JSON-RPC
   * would write `"id": null`, which the MCP schema (and so the SDK's client) refuses as a
   * message, while an error without an id is one it reads and reports.
   */
  private refuse(code: number, message: string, id: string | number | undefined): void {
    this.onerror?.(new ClientLineError(code, message));
    const error = { code, message };
    this.send(id === undefined ? { jsonrpc: "2.0", error } : { jsonrpc: "2.0", id, error }).catch(() => undefined);
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
