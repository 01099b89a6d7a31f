import type { Readable, Writable } from "node:stream";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** A line on the provider's stdout that is not a JSON-RPC message (a stray print, a banner). */
export class MalformedLineError extends Error {
  constructor(cause: unknown) {
    super(`not a JSON-RPC message: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "MalformedLineError";
  }
}

/**
 * An MCP transport over the pipes of a process someone else spawned and owns. Unlike the SDK's
 * StdioClientTransport it neither spawns nor kills: process lifetime belongs to the process-group
 * registry, and this class only talks.
 *
 * Many real servers print banners or debug lines on stdout. Such a line is reported through
 * onerror (a MalformedLineError) and skipped; the session goes on with the next line.
 */
export class ChildProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

  private readonly readBuffer = new ReadBuffer();
  private started = false;
  private closed = false;
  private negotiatedVersion: string | undefined;
  private peerEnded = false;

  constructor(
    private readonly stdin: Writable,
    private readonly stdout: Readable,
  ) {}

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
    this.stdout.once("close", this.onEnd);
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

  /** Ends stdin (the MCP way to ask a stdio server to leave) and stops delivering messages. */
  close(): Promise<void> {
    this.shutDown();
    return Promise.resolve();
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return; // keep draining the pipe so a dying writer never blocks on it
    try {
      this.readBuffer.append(chunk);
    } catch (error) {
      // Over the size limit: the buffer was cleared; report and resynchronize at the next newline.
      this.onerror?.(asError(error));
      return;
    }
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.readBuffer.readMessage();
      } catch (error) {
        // ReadBuffer drops the offending line before parsing it, so the loop moves on.
        this.onerror?.(new MalformedLineError(error));
        continue;
      }
      if (message === null) return;
      try {
        this.onmessage?.(message);
      } catch (error) {
        this.onerror?.(asError(error));
      }
      if (this.isClosed()) return; // onmessage may have closed us
    }
  };

  private isClosed(): boolean {
    return this.closed;
  }

  private readonly onEnd = (): void => {
    if (!this.closed) this.peerEnded = true;
    this.shutDown();
  };

  private readonly onStreamError = (error: Error): void => {
    if (!this.closed) this.onerror?.(error);
  };

  private shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    this.readBuffer.clear();
    this.stdout.off("end", this.onEnd);
    this.stdout.off("close", this.onEnd);
    if (!this.stdin.writableEnded) this.stdin.end();
    this.onclose?.();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
