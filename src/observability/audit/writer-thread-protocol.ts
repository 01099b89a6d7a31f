import type { AuditCapture } from "../../config/types.js";
import type { WireBatch } from "./audit-wire.js";

/**
 * What the main thread and the audit writer thread say to each other (threaded-writer.ts is the
 * main side, writer-thread.ts the thread). Batches go over the worker's message port; what the
 * main thread must know without waiting for its event loop — a flush confirmed, the thread
 * failed, how far the file is written — sits in a small SharedArrayBuffer.
 */
export interface WriterThreadData {
  path: string;
  capture: AuditCapture;
  /** The HMAC key: handed over in memory (never argv, env or a log line). */
  key: Uint8Array;
  instance: string;
  source: string;
  /** The redactor's secrets at start (later ones come with the batches). */
  secrets: string[];
  batchMs: number;
  maxBacklog: number | undefined;
  control: SharedArrayBuffer;
  /** Test hook: the thread throws on an event of this type, as a bug in it would. */
  crashOnEventType: string | undefined;
}

/** A batch for the thread; `flushId` asks it to confirm once the batch is committed (or refused). */
export interface WriterThreadBatch {
  /** The events, flat (audit-wire.ts). */
  wire: WireBatch;
  /** Secrets registered since the last batch: the whole list again (they are few). */
  secrets?: string[];
  flushId?: number;
  /** The last batch: write it, close the file. */
  close?: boolean;
}

/** The thread's report of a failed write (the main thread passes it to onError). */
export interface WriterThreadReport {
  error: { name: string; message: string; code: string | undefined };
}

/** Int32 slots of the control buffer. */
export const ACK_SLOT = 0;
export const STATE_SLOT = 1;
/** Rows the thread holds for a retry (a busy file, a failed write): the main thread then sends its next events soon. */
export const UNWRITTEN_SLOT = 2;
/** Set by the thread's first line of code: its isolate exists (the main thread waits for it once, see threaded-writer.ts). */
export const STARTED_SLOT = 3;
export const INT_SLOTS = 4;
export const STATE_RUNNING = 0;
export const STATE_FAILED = 1;
/** Byte offset of the BigInt64 slot: the seq of the last event committed to the file. */
export const COMMITTED_OFFSET = 16;
export const CONTROL_BYTES = 24;
