import type { StampedDomainEvent } from "../../shared/domain-events.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import type { CallPairing } from "./call-pairing.js";
import type { RowEncoder } from "./capture.js";
import type { AuditRow } from "./row.js";
import { isBusy, type AuditStore, type RowSource } from "./store.js";

/**
 * Keeps the disk off the call's path: the bus listener only pushes the event onto an array; a
 * timer armed by the first event of a batch writes the whole batch `batchMs` later in one
 * transaction (encoding, hashing and redaction happen there too). A crash loses at most that
 * interval. A file busy with another hangar's transaction is tried again a few milliseconds
 * later (never waited for: that would block the event loop); a failed write (a full disk) keeps
 * the rows for the next batch, up to a bound, and reports the error.
 */
export interface AuditWriterOptions {
  store: AuditStore;
  encoder: RowEncoder;
  batchMs: number;
  onError: (error: unknown) => void;
  /** Rows kept for a retry after failed writes; beyond that the oldest are dropped (and reported). */
  maxBacklog?: number;
  /** Called after each committed batch with its last row (the writer thread tells the main thread how far it got). */
  onWritten?: (last: AuditRow | undefined) => void;
  /**
   * Folds each answered call's request into its answer's row (call-pairing.ts), for a writer that
   * cuts its own batches. Absent where the batches come paired already (the threaded writer pairs
   * before it posts, and hands the main-thread writer paired events when the thread fails).
   */
  pairing?: CallPairing;
}

/** What the trail writes through: this writer on the main thread, or ThreadedAuditWriter. */
export interface AuditSink {
  attach: (bus: DomainEventBus) => () => void;
  /** Writes everything pending before it returns (shutdown, or before a query that must see it). */
  flush: () => void;
  /** Flushes and stops accepting events. */
  close: () => void;
}

const DEFAULT_MAX_BACKLOG = 100_000;
/** A busy file is tried again this soon, spread so two writers do not collide again. */
export const BUSY_RETRY_MIN_MS = 2;
export const BUSY_RETRY_SPREAD_MS = 20;
/** How long the last batch waits for another hangar's transaction (which lasts milliseconds). */
const CLOSE_BUSY_WAIT_MS = 2_000;

export class AuditWriter implements AuditSink {
  private pending: StampedDomainEvent[] = [];
  /** Encoded rows whose write failed, written first next time. */
  private backlog: AuditRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private written = 0;
  private busyRetries = 0;

  constructor(private readonly options: AuditWriterOptions) {}

  /** Subscribes to the bus; returns the unsubscribe. */
  attach(bus: DomainEventBus): () => void {
    return bus.subscribe(this.enqueue);
  }

  /** The hot path: no I/O, no encoding. */
  readonly enqueue = (event: StampedDomainEvent): void => {
    if (this.closed) return;
    this.pending.push(event);
    this.timer ??= setTimeout(this.flushOnTimer, this.options.batchMs);
  };

  private readonly flushOnTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  /** Writes everything pending now (shutdown, or before a query that must see it). */
  flush(): void {
    this.write([]);
  }

  /** Takes a batch gathered elsewhere (the main thread, for the writer thread) and writes it now. */
  append(events: readonly StampedDomainEvent[]): void {
    if (this.closed) return;
    for (const event of events) this.pending.push(event);
    this.flush();
  }

  /** Takes rows encoded elsewhere (the writer thread encodes the batches it receives) and writes them now, after anything pending. */
  appendRows(rows: readonly AuditRow[]): void {
    if (this.closed) return;
    this.write(rows);
  }

  /**
   * Takes rows made while they are written (the writer thread encodes each record of a batch as
   * the store inserts it: store.ts, appendEach) and writes them now. With rows held for a retry,
   * or a write that fails, `rows` is asked for its rows again, all at once: they go through
   * write() and its retries as appendRows' do — so `rows` must give the same rows every time.
   */
  appendEach(rows: RowSource): void {
    if (this.closed) return;
    if (this.pending.length > 0 || this.backlog.length > 0) {
      this.write(collect(rows));
      return;
    }
    try {
      const appended = this.options.store.appendEach(rows);
      this.committed(appended.count, appended.last);
    } catch (error) {
      this.failed(error, collect(rows));
    }
  }

  /** The rows held for a retry, then the pending events' and `encoded`, in one transaction. */
  private write(encoded: readonly AuditRow[]): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const pending = this.pending;
    if (pending.length === 0 && this.backlog.length === 0 && encoded.length === 0) return;
    this.pending = [];
    const events = this.options.pairing?.pairObjects(pending) ?? pending;
    const rows = this.backlog.length === 0 ? [] : this.backlog;
    this.backlog = [];
    for (const event of events) rows.push(this.encode(event));
    for (const row of encoded) rows.push(row);
    try {
      this.options.store.append(rows);
      this.committed(rows.length, rows.at(-1));
    } catch (error) {
      this.failed(error, rows);
    }
  }

  /** Rows whose write failed and wait for a retry. */
  get unwrittenRows(): number {
    return this.backlog.length;
  }

  /** Batches put off because another hangar was writing to the file. */
  get busyRetryCount(): number {
    return this.busyRetries;
  }

  /** Rows written by this writer so far. */
  get writtenRows(): number {
    return this.written;
  }

  /**
   * Flushes and stops accepting events (the store is closed by its owner). A batch the file
   * refused as busy has no later retry now: this once, it waits for the other hangar's
   * transaction (shutdown, or the writer thread: never a call's path).
   */
  close(): void {
    this.flush();
    this.closed = true;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const rows = this.backlog;
    if (rows.length === 0) return;
    this.backlog = [];
    try {
      this.options.store.appendWaiting(rows, CLOSE_BUSY_WAIT_MS);
      this.committed(rows.length, rows.at(-1));
    } catch (error) {
      this.options.onError(error);
      this.options.onError(new Error(`audit trail: dropped ${rows.length} events that could not be written before closing`));
    }
  }

  private encode(event: StampedDomainEvent): AuditRow {
    return encodeOrFallback(this.options.encoder, () => this.options.encoder.encode(event), () => event, this.options.onError);
  }

  /** A committed batch: counted, and its last row reported (how far the file is written). */
  private committed(count: number, last: AuditRow | undefined): void {
    this.written += count;
    this.options.onWritten?.(last);
  }

  /** A batch whose write failed: a busy file is counted, any other error reported; its rows wait for the retry. */
  private failed(error: unknown, rows: AuditRow[]): void {
    const busy = isBusy(error);
    if (busy) this.busyRetries += 1;
    else this.options.onError(error);
    this.keepForRetry(rows, busy);
  }

  private keepForRetry(rows: AuditRow[], busy: boolean): void {
    const max = this.options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    const dropped = Math.max(0, rows.length - max);
    this.backlog = dropped > 0 ? rows.slice(dropped) : rows;
    if (dropped > 0) this.options.onError(new Error(`audit trail: dropped ${dropped} events that could not be written`));
    if (this.closed) return;
    // Busy: another hangar's transaction lasts milliseconds; try again soon, spread so two writers do not collide again.
    const delay = busy ? BUSY_RETRY_MIN_MS + Math.random() * BUSY_RETRY_SPREAD_MS : this.options.batchMs;
    this.timer ??= setTimeout(this.flushOnTimer, delay);
  }
}

function collect(source: RowSource): AuditRow[] {
  const rows: AuditRow[] = [];
  source((row) => rows.push(row));
  return rows;
}

/**
 * The row of an event (`encode`), or, when that throws, what can be said of the event (`event`
 * gives it): one odd event must not lose the batch (nor stop the writer). The error is reported.
 */
export function encodeOrFallback(encoder: RowEncoder, encode: () => AuditRow, event: () => StampedDomainEvent, onError: (error: unknown) => void): AuditRow {
  try {
    return encode();
  } catch (error) {
    onError(error);
    const odd = event();
    try {
      return encoder.encode({ ...odd, arguments: undefined, toolResult: undefined } as unknown as StampedDomainEvent);
    } catch {
      // Even its other fields cannot be stored (a BigInt, a cycle): its place in the sequence still is.
      const { type, seq, timestamp, systemId } = odd;
      const { providerId, correlationId } = odd as { providerId?: unknown; correlationId?: unknown };
      const kept = { type, seq, timestamp, systemId, providerId, correlationId, unencodable: String(error) };
      return encoder.encode(kept as unknown as StampedDomainEvent);
    }
  }
}
