import { Worker } from "node:worker_threads";
import type { AuditCapture } from "../../config/types.js";
import type { StampedDomainEvent } from "../../shared/domain-events.js";
import type { Redactor } from "../../shared/redaction.js";
import { reapplyYoungGenerationSize } from "../../runtime/young-generation.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import { objectsOnWire, toWire } from "./audit-wire.js";
import { CallPairing, mergedEvent, mergedEvents, type PairedBatch } from "./call-pairing.js";
import { BUSY_RETRY_MIN_MS, BUSY_RETRY_SPREAD_MS, type AuditSink, type AuditWriter } from "./writer.js";
import {
  ACK_SLOT,
  COMMITTED_OFFSET,
  CONTROL_BYTES,
  INT_SLOTS,
  STARTED_SLOT,
  STATE_FAILED,
  STATE_SLOT,
  UNWRITTEN_SLOT,
  type WriterThreadBatch,
  type WriterThreadData,
  type WriterThreadReport,
} from "./writer-thread-protocol.js";

/**
 * The audit trail's writer with its work on a worker thread: the bus listener pushes the event
 * onto an array, a timer posts the batch `batchMs` later (sooner once it holds POST_AT_EVENTS),
 * and the thread (writer-thread.ts) encodes, redacts, hashes and writes it. The main thread only pays for posting: the batch as
 * one flat array (audit-wire.ts), cheaper to clone than the events. A crash of the process loses
 * at most that interval, as before.
 *
 * The thread starts with the first batch of `threadAtEvents` events or more: a quiet hangar
 * (a few events a second) writes on the main thread, where that costs next to nothing, and does
 * not carry the thread's ≈ 6–10 MB of memory. Batches are written in order across the switch:
 * the main thread's writes are committed when they return, and the thread takes over only when
 * the main-thread writer holds nothing for a retry.
 *
 * flush() keeps its synchronous meaning: it posts what is pending and blocks (Atomics.wait) until
 * the thread confirms the batch is committed — or refused by a busy file, which the thread
 * retries by itself — or until `flushTimeoutMs`, reported as an error. If the thread fails, the
 * events it had not committed are written on the main thread from then on.
 */
export interface ThreadedAuditWriterOptions {
  script: URL;
  path: string;
  capture: AuditCapture;
  key: Buffer;
  instance: string;
  source: string;
  redactor: Redactor;
  batchMs: number;
  onError: (error: unknown) => void;
  /** The main-thread writer: before the thread starts, and for good after it failed. */
  onMainThread: () => AuditWriter;
  /** A batch this large starts the thread (0: at once). */
  threadAtEvents: number;
  /** Told when the thread starts (for the log). */
  onThreadStart?: () => void;
  maxBacklog?: number;
  flushTimeoutMs?: number;
  /** Test hook: see WriterThreadData. */
  crashOnEventType?: string;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 10_000;
/**
 * The thread's young generation, in MB (V8's default lets it grow to 16 MB, resident for good).
 * A batch lives while it is written — hundreds to thousands of events, their rows, ≈ 3.5 KB of
 * garbage per row — and every scavenge in between copies what of it is live: with 2 MB the
 * thread scavenged every ≈ 250 rows, and GC took ≈ 5 µs of CPU per call (bench/audit-writer.js,
 * pipeline: 26 µs per call with 2, 24 with 4, 21 with 8). With 8 its new space holds 4 MB
 * (v8.getHeapSpaceStatistics() in the thread; 2 MB with 2), and the process's RSS under load was
 * no higher: less is promoted to the old generation.
 */
const THREAD_YOUNG_GENERATION_MB = 8;
/**
 * A batch this large is posted at once (on the next turn of the event loop, never inside the
 * publishing call), without waiting for `batchMs`: the thread's CPU per row grows with the batch
 * it holds live (its scavenges copy it). 100 ms of 8 busy callers make batches of ≈ 1,800
 * events: with two rows per call ≈ 28 µs per call so, 24 posted at 512 events, 23 at 256
 * (bench/audit-writer.js, BENCH_AUDIT_BATCH_CALLS=900). With one row per answered call the
 * thread holds half the rows per event, and 256, 512 and 1,024 cost it the same (17–20.5 µs per
 * call, within noise); but each cut leaves the calls in flight at that moment as two rows, and
 * many callers keep many in flight: at 256, 47–64 % of the calls of 128 callers were two rows
 * (7–9 % of 16 callers'), at 1,024 13–19 % (2 %), ≈ 3–4 µs less CPU per call at 128 callers
 * (alternated runs over real pipes, fixture). Only while the thread runs: before, the batch's
 * size decides whether it starts.
 */
export const POST_AT_EVENTS = 1_024;
/** How long the main thread waits, once, for the thread's isolate (≈ 10–50 ms; 'online' re-applies later if it takes longer). */
const ISOLATE_WAIT_MS = 1_000;
/**
 * Posted events kept until the thread says they are on disk, to write them again if it dies. A
 * full disk makes them pile up: beyond this many, the oldest copies go (the thread still holds
 * them; only its death during the outage would lose them).
 */
const MAX_RETAINED = 20_000;

export class ThreadedAuditWriter implements AuditSink {
  private pending: StampedDomainEvent[] = [];
  private retained: StampedDomainEvent[] = [];
  /** The request folded into each retained answer (beside `retained`, index for index). */
  private retainedRequests: (StampedDomainEvent | undefined)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private worker: Worker | undefined;
  /** Once the thread has failed, the main thread writes for good. */
  private threadFailed = false;
  private mainWriter: AuditWriter | undefined;
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly slots = new Int32Array(this.control, 0, INT_SLOTS);
  private readonly committed = new BigInt64Array(this.control, COMMITTED_OFFSET, 1);
  private flushIds = 0;
  private secretsVersion: number;
  /** Pairs before posting: the thread then receives (and the main thread clones) one event per answered call. */
  private readonly pairing: CallPairing;

  constructor(private readonly options: ThreadedAuditWriterOptions) {
    this.secretsVersion = options.redactor.version;
    this.pairing = new CallPairing(options.capture);
    if (options.threadAtEvents <= 0) this.startThread();
  }

  private startThread(): Worker {
    const { options } = this;
    this.secretsVersion = options.redactor.version;
    const workerData: WriterThreadData = {
      path: options.path,
      capture: options.capture,
      key: options.key,
      instance: options.instance,
      source: options.source,
      secrets: options.redactor.secretValues(),
      batchMs: options.batchMs,
      maxBacklog: options.maxBacklog,
      control: this.control,
      crashOnEventType: options.crashOnEventType,
    };
    // No argv, its own empty env: the key and secrets travel in workerData only. None of the
    // hangar's node flags either (`-e`, --cpu-prof, --inspect would apply to the thread again).
    // Its stdout is not the MCP channel's (a stray write there would corrupt the stdio protocol):
    // a stream of its own, left unread (it writes nothing; reading it would keep the process alive).
    const worker = new Worker(options.script, {
      workerData,
      argv: [],
      execArgv: [],
      env: {},
      stdout: true,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB },
    });
    // Should waitForIsolate time out: the same, once the thread is up.
    worker.once("online", reapplyYoungGenerationSize);
    worker.on("message", (report: WriterThreadReport) => {
      options.onError(Object.assign(new Error(report.error.message), { name: report.error.name, code: report.error.code }));
    });
    worker.on("error", (error) => {
      options.onError(error);
      this.failOver("the audit writer thread failed");
    });
    worker.on("exit", (code) => {
      if (this.worker === worker) this.failOver(`the audit writer thread exited (code ${code})`);
    });
    // Never what keeps the process alive: shutdown closes it, and a hangar exiting otherwise does not wait for it.
    worker.unref();
    this.worker = worker;
    this.waitForIsolate();
    options.onThreadStart?.();
    return worker;
  }

  /**
   * Building the thread's isolate resets V8's process-wide semi-space growth factor, a few ms
   * after `new Worker`, on the thread; left so, the main thread's new space grows from 2 MB to
   * 16 MB (≈ 30 MB more resident). Re-applying it on 'online' is too late: the thread starts when
   * calls come fast, and in the tens of ms until 'online' reaches this event loop the new space
   * grew a step or two (4–8 MB). Blocking once until the thread runs its first line — nothing
   * allocated here meanwhile, so nothing grows — then asking for the hangar's growth factor again
   * keeps it at its initial size (young-generation.ts).
   */
  private waitForIsolate(): void {
    Atomics.wait(this.slots, STARTED_SLOT, 0, ISOLATE_WAIT_MS);
    reapplyYoungGenerationSize();
  }

  attach(bus: DomainEventBus): () => void {
    return bus.subscribe(this.enqueue);
  }

  /** The hot path: no I/O, no encoding, no posting. */
  readonly enqueue = (event: StampedDomainEvent): void => {
    if (this.closed) return;
    this.pending.push(event);
    if (this.pending.length >= POST_AT_EVENTS && this.worker !== undefined) this.immediate ??= setImmediate(this.postNow);
    else this.timer ??= setTimeout(this.postOnTimer, this.options.batchMs);
  };

  private readonly postOnTimer = (): void => {
    this.timer = undefined;
    this.post({});
  };

  private readonly postNow = (): void => {
    this.immediate = undefined;
    this.post({});
  };

  /** Everything pending is on disk (or refused by a busy file and queued for the thread's retry) when it returns. */
  flush(): void {
    this.post({ wait: true });
  }

  close(): void {
    if (this.closed) return;
    this.post({ wait: true, close: true });
    this.closed = true;
    this.mainWriter?.close();
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  /** True while the writing happens on the thread (false before it starts, and after a fall back to the main thread). */
  get threaded(): boolean {
    return this.worker !== undefined;
  }

  private post({ wait = false, close = false }: { wait?: boolean; close?: boolean }): void {
    if (this.closed) return;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    const published = this.pending;
    this.pending = [];
    const paired = this.pairing.pair(published);
    // The last batch of a quiet hangar needs no thread started just to be closed (the rate of events published decides).
    const worker = this.worker ?? (close ? undefined : this.threadFor(published));
    if (worker === undefined) {
      this.writeOnMainThread(mergedEvents(paired, this.options.capture));
      return;
    }
    if (paired.events.length === 0 && !wait) return;
    // The requests answered within the batch go folded into their answers' records (no merged objects built here).
    const batch: WriterThreadBatch = { wire: toWire(paired.events, this.options.capture, paired.requests) };
    if (this.options.redactor.version !== this.secretsVersion) {
      this.secretsVersion = this.options.redactor.version;
      batch.secrets = this.options.redactor.secretValues();
    }
    if (wait) batch.flushId = this.flushIds = (this.flushIds % 0x7fffffff) + 1;
    if (close) batch.close = true;
    this.send(worker, batch, paired);
    this.retain(paired);
    if (batch.flushId !== undefined) this.waitFor(batch.flushId);
    // The thread retries its held rows by itself; events published meanwhile follow them soon, not batchMs later.
    if (Atomics.load(this.slots, UNWRITTEN_SLOT) > 0 && !close) {
      this.timer ??= setTimeout(this.postOnTimer, BUSY_RETRY_MIN_MS + Math.random() * BUSY_RETRY_SPREAD_MS);
    }
  }

  /** The thread, started now if this batch is large enough and the main thread has nothing left to retry. */
  private threadFor(events: readonly StampedDomainEvent[]): Worker | undefined {
    if (this.threadFailed || events.length < this.options.threadAtEvents || (this.mainWriter?.unwrittenRows ?? 0) > 0) return undefined;
    try {
      return this.startThread();
    } catch (error) {
      this.threadFailed = true;
      this.options.onError(new Error(`audit trail: the writer thread cannot start (${String(error)}); writing on the main thread`));
      return undefined;
    }
  }

  private send(worker: Worker, batch: WriterThreadBatch, paired: PairedBatch): void {
    try {
      worker.postMessage(batch);
    } catch (error) {
      // A value that cannot be cloned (a function somewhere in an event): the batch goes without
      // what cannot be said of those events, as the main-thread writer stores an odd event.
      this.options.onError(error);
      batch.wire = objectsOnWire(mergedEvents(paired, this.options.capture).map(cloneable));
      worker.postMessage(batch);
    }
  }

  private retain({ events, requests }: PairedBatch): void {
    // A Number once, not a BigInt per event (seq stays far below 2^53).
    const committed = Number(this.committed[0] ?? 0n);
    let firstKept = 0;
    while (firstKept < this.retained.length && (this.retained[firstKept]?.seq ?? 0) <= committed) firstKept += 1;
    if (firstKept > 0) this.keepRetainedFrom(firstKept);
    for (let index = 0; index < events.length; index += 1) {
      this.retained.push(events[index] as StampedDomainEvent);
      this.retainedRequests.push(requests?.[index]);
    }
    if (this.retained.length > MAX_RETAINED) this.keepRetainedFrom(this.retained.length - MAX_RETAINED);
  }

  private keepRetainedFrom(first: number): void {
    this.retained = this.retained.slice(first);
    this.retainedRequests = this.retainedRequests.slice(first);
  }

  private waitFor(flushId: number): void {
    const timeoutMs = this.options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const acknowledged = Atomics.load(this.slots, ACK_SLOT);
      if (acknowledged === flushId) return;
      if (Atomics.load(this.slots, STATE_SLOT) === STATE_FAILED) {
        this.failOver("the audit writer thread failed");
        return;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        this.options.onError(new Error(`audit trail: the writer thread did not confirm a flush within ${timeoutMs} ms; its events stay queued there`));
        return;
      }
      Atomics.wait(this.slots, ACK_SLOT, acknowledged, left);
    }
  }

  /** The thread is gone: what it had not committed, and everything from now on, is written here. */
  private failOver(reason: string): void {
    if (this.worker === undefined) return;
    // Not terminated: a failed thread ends by itself, and its 'error' event still reports why.
    this.worker = undefined;
    this.threadFailed = true;
    this.options.onError(new Error(`audit trail: ${reason}; writing on the main thread from now on`));
    const committed = this.committed[0] ?? 0n;
    // A merged row has its answer's seq: a retained answer is unwritten exactly when its row is.
    const unwritten: StampedDomainEvent[] = [];
    this.retained.forEach((event, index) => {
      if (BigInt(event.seq) > committed) unwritten.push(mergedEvent(event, this.retainedRequests[index], this.options.capture));
    });
    this.retained = [];
    this.retainedRequests = [];
    const pending = this.pairing.pairObjects(this.pending);
    this.pending = [];
    this.writeOnMainThread([...unwritten, ...pending]);
  }

  private writeOnMainThread(events: readonly StampedDomainEvent[]): void {
    this.mainWriter ??= this.options.onMainThread();
    this.mainWriter.append(events);
  }
}

/** The event without its payloads when they cannot cross to the thread. */
function cloneable(event: StampedDomainEvent): StampedDomainEvent {
  try {
    structuredClone(event);
    return event;
  } catch {
    return { ...event, arguments: undefined, toolResult: undefined } as unknown as StampedDomainEvent;
  }
}
