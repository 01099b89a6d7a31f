import type { Readable, Writable } from "node:stream";
import { serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { isPlainResultResponse } from "./jsonrpc-fast-path.js";
import { isBlank, LineSplitter } from "./line-splitter.js";
import { readBurst } from "./read-burst.js";
import { TickWrites } from "./tick-writes.js";

/** max_message_bytes when the spec gives none: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** How much of a rejected line an error message quotes. */
const EXCERPT_CHARS = 120;

/** A line on the provider's stdout that is not a JSON-RPC message (a stray print, a banner). */
export class MalformedLineError extends Error {
  constructor(reason: string, line: string) {
    const excerpt = line.length > EXCERPT_CHARS ? `${line.slice(0, EXCERPT_CHARS)}…` : line;
    super(`not a JSON-RPC message (${reason}): ${JSON.stringify(excerpt)}`);
    this.name = "MalformedLineError";
  }
}

/** The provider sent (or started sending) one line longer than max_message_bytes. */
export class MessageTooLargeError extends Error {
  constructor(readonly maxMessageBytes: number) {
    super(`provider sent a message of more than ${maxMessageBytes} bytes (max_message_bytes)`);
    this.name = "MessageTooLargeError";
  }
}

export interface ChildProcessTransportOptions {
  /** A line longer than this closes the transport with a MessageTooLargeError. Default 16 MiB. */
  maxMessageBytes?: number;
}

/**
 * An MCP transport over the pipes of a process someone else spawned and owns. Unlike the SDK's
 * StdioClientTransport it neither spawns nor kills: process lifetime belongs to the process-group
 * registry, and this class only talks.
 *
 * Reading splits stdout into lines itself rather than with the SDK's ReadBuffer, which
 * concatenates its whole buffer on every chunk and rescans it from the start (quadratic on a
 * large message) and refuses anything over a fixed 10 MB. Here LineSplitter scans each chunk
 * once for newlines, keeps the pieces of a line as they came and joins them once, and a line is
 * refused as soon as its byte count passes `maxMessageBytes`, before its end arrives — memory
 * stays bounded by the limit whatever the provider writes. Each line is parsed once and validated with the
 * SDK's JSONRPCMessageSchema — except a plain result answer, recognised by a cheaper check of
 * the same rules (jsonrpc-fast-path.ts).
 *
 * Many real servers print banners or debug lines on stdout. Such a line is reported through
 * onerror (a MalformedLineError) and skipped; the session goes on with the next line. An
 * oversized line is not skippable (its end may never come): it is reported through onerror (a
 * MessageTooLargeError) and the transport closes.
 */
export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  /**
   * Offered each message before onmessage; a message it claims (returns true for) goes no
   * further. The connection's own requests (direct-requests.ts) take their answers here, before
   * the SDK's Protocol sees them.
   */
  claim?: (message: JSONRPCMessage) => boolean;

  private readonly maxMessageBytes: number;
  private readonly lines: LineSplitter;
  private started = false;
  private closed = false;
  private negotiatedVersion: string | undefined;
  private peerEnded = false;
  /** A turn's first message leaves at once, the rest together (see write()). */
  private readonly tickWrites: TickWrites;

  constructor(
    private readonly stdin: Writable,
    private readonly stdout: Readable,
    options: ChildProcessTransportOptions = {},
  ) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.tickWrites = new TickWrites(stdin, "turn");
    this.lines = new LineSplitter(this.maxMessageBytes, this.deliverLine, this.refuseOversizedLine, readBurst.note);
  }

  /** True when the provider closed its stdout, as opposed to close() on this side. */
  get endedByPeer(): boolean {
    return this.peerEnded;
  }

  /** The protocol version the client negotiated (the SDK reports it after initialize). */
  get protocolVersion(): string | undefined {
    return this.negotiatedVersion;
  }

  setProtocolVersion(version: string): void {
    this.negotiatedVersion = version;
  }

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error("ChildProcessTransport already started"));
    this.started = true;
    this.stdout.on("data", this.onData);
    this.stdout.once("end", this.onEnd);
    // Closing without 'end' happens when the stream is destroyed (the pipe broke).
    this.stdout.once("close", this.onBroken);
    // These stay attached after close: an 'error' with no listener would crash the hangar.
    this.stdout.on("error", this.onStreamError);
    this.stdin.on("error", this.onStreamError);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || !this.stdin.writable) return Promise.reject(new Error("Not connected"));
    if (this.stdin.write(serializeMessage(message))) return Promise.resolve();
    // Backpressure: wait for the pipe to drain, or to close, which ends the wait just as well.
    return new Promise((resolve) => {
      const done = (): void => {
        this.stdin.off("drain", done);
        this.stdin.off("close", done);
        resolve();
      };
      this.stdin.once("drain", done);
      this.stdin.once("close", done);
    });
  }

  /**
   * Writes a message without a promise: false when the channel is closed. Backpressure is left to
   * the pipe's buffer, as send() leaves it to its caller. The first message of a turn of the
   * event loop leaves at once, so a lone call reaches the provider while the hangar still does its
   * bookkeeping; the rest of the turn's messages are corked and leave together in one write when
   * the turn ends: many callers at once cost the hangar — and the provider it wakes — two system
   * calls, not one per call. By turn, not by tick: calls over HTTP come one per socket read, each
   * in a tick of its own, and the reads of one turn are grouped only so (a stdio client's lines
   * of one chunk are grouped either way).
   */
  write(message: JSONRPCMessage): boolean {
    if (this.closed || !this.stdin.writable) return false;
    this.tickWrites.beforeWrite();
    this.stdin.write(serializeMessage(message));
    return true;
  }

  /** Ends stdin (the MCP way to ask a stdio server to leave) and stops delivering messages. */
  close(): Promise<void> {
    this.shutDown();
    return Promise.resolve();
  }

  private readonly onData = (chunk: Buffer): void => {
    // After close the listener stays, discarding: a dying writer must never block on a full pipe.
    if (this.closed) return;
    this.lines.push(chunk);
  };

  private readonly deliverLine = (bytes: Buffer): void => {
    // onmessage, or an over-long line, may have closed us earlier in the same chunk.
    if (this.closed || bytes.length === 0) return; // an empty line carries nothing
    const line = bytes.toString("utf8");
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A line of only whitespace carries nothing: skipped, as an empty line is, not logged.
      if (!isBlank(bytes)) this.onerror?.(new MalformedLineError("not JSON", line));
      return;
    }
    let message: JSONRPCMessage;
    if (isPlainResultResponse(value)) {
      message = value;
    } else {
      const parsed = JSONRPCMessageSchema.safeParse(value);
      if (!parsed.success) {
        this.onerror?.(new MalformedLineError("not JSON-RPC", line));
        return;
      }
      message = parsed.data;
    }
    try {
      if (this.claim?.(message) === true) return;
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(asError(error));
    }
  }

  /** An oversized line is not skippable (its end may never come): the transport closes. */
  private readonly refuseOversizedLine = (): void => {
    if (this.closed) return;
    // Reported before closing, so the session fails with this reason rather than "connection closed".
    this.onerror?.(new MessageTooLargeError(this.maxMessageBytes));
    this.shutDown();
  };

  /**
   * The provider ended its stdout. A last line without its newline (a provider that exits after
   * writing its last answer) is read as any other line first, as line readers read it; a blank
   * one is not.
   */
  private readonly onEnd = (): void => {
    if (!this.closed) {
      this.peerEnded = true;
      this.lines.end("drop");
    }
    this.shutDown();
  };

  /** The pipe broke (destroyed without 'end'): what is held of a line was cut, not finished. */
  private readonly onBroken = (): void => {
    if (!this.closed) this.peerEnded = true;
    this.shutDown();
  };

  private readonly onStreamError = (error: Error): void => {
    if (!this.closed) this.onerror?.(error);
  };

  private shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    this.lines.clear();
    this.stdout.off("end", this.onEnd);
    this.stdout.off("close", this.onBroken);
    if (!this.stdin.writableEnded) this.stdin.end();
    this.onclose?.();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
