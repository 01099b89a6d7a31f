import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AuditSpec } from "../../config/types.js";
import type { ProviderRecord } from "../../machines/provider-types.js";
import type { ProviderHistorySource } from "../../runtime/hangar-runtime.js";
import { redactor as sharedRedactor, type Redactor } from "../../shared/redaction.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import { CallPairing } from "./call-pairing.js";
import { createRowEncoder } from "./capture.js";
import { loadOrCreateAuditKey } from "./key.js";
import { queryEvents, type AuditEvent } from "./query.js";
import { replayProviders } from "./replay.js";
import { pruneOlderThan, type PruneResult } from "./retention.js";
import { AuditStore, defaultAuditPath, isBusy, openAuditDatabase } from "./store.js";
import { ThreadedAuditWriter } from "./threaded-writer.js";
import { AuditWriter, type AuditSink } from "./writer.js";

/**
 * The audit trail of one hangar: the store, the batching writer on the domain-event bus,
 * retention (at start-up and daily), replay of provider counters, and registry_history's reads.
 * An observer: it never drives the system, and a failing disk only produces error reports.
 */
export interface AuditTrailOptions {
  spec: AuditSpec;
  /** The hangar's config file (absolute): which hangar the rows belong to, for replay. */
  source: string;
  onError: (error: unknown) => void;
  redactor?: Redactor;
  env?: NodeJS.ProcessEnv;
  /**
   * The writer thread's script (default: writer-thread.js beside this module; tests running the
   * sources pass the built one). Without it the writing stays on the main thread.
   */
  writerScript?: URL;
  /** Told when the writing happens on the main thread after all (for the log). */
  onNotice?: (message: string) => void;
  /** Told when the writer thread starts (for the log). */
  onThreadStart?: () => void;
  /** The batch size that starts the writer thread (default: 500 events a second's worth of batch_ms; 0: at once). */
  threadAtEvents?: number;
  /** How long flush() waits for the writer thread (default 10 s). */
  flushTimeoutMs?: number;
  /** Test hook: the writer thread throws on an event of this type. */
  crashWriterThreadOn?: string;
}

const DEFAULT_WRITER_SCRIPT = new URL("./writer-thread.js", import.meta.url);
/**
 * Below this rate the main thread writes (≈ 20 µs per event: 1 % of a core at 500 events a
 * second) and the hangar does not carry the thread's memory; above it, the thread takes over.
 */
const THREAD_AT_EVENTS_PER_S = 500;

/**
 * The batch size that starts the writer thread, or undefined: `writer_thread: false`, no thread.
 * (Building the thread's isolate resets V8's semi-space growth factor; the writer re-applies the
 * hangar's, see ThreadedAuditWriter.waitForIsolate and young-generation.ts.)
 */
function threadThreshold(spec: AuditSpec): number | undefined {
  if (!spec.writerThread) return undefined;
  return Math.max(1, Math.ceil((THREAD_AT_EVENTS_PER_S * spec.batchMs) / 1000));
}

const DAY_MS = 86_400_000;
/** Call kinds registry_history lists as calls; everything else about the provider is a transition. */
const CALL_TYPES = ["ToolInvocationRequested", "ToolInvocationCompleted", "ToolInvocationFailed"];
const TRANSITION_TYPES = [
  "ProviderStateChanged",
  "ProviderStarted",
  "ProviderStopped",
  "ProviderRestarted",
  "ProviderDied",
  "CircuitOpened",
  "CircuitHalfOpened",
  "CircuitClosed",
  "RecoveryScheduled",
  "HealthCheckFailed",
];

export class AuditTrail implements ProviderHistorySource {
  readonly path: string;
  private readonly store: AuditStore;
  private readonly writer: AuditSink;
  private readonly retentionTimer: NodeJS.Timeout;
  private detach: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: AuditTrailOptions) {
    this.path = options.spec.path ?? defaultAuditPath(options.env);
    this.store = new AuditStore(openAuditDatabase(this.path));
    this.prune();
    this.writer = this.startWriter();
    this.retentionTimer = setInterval(() => {
      this.prune();
    }, DAY_MS);
    this.retentionTimer.unref();
  }

  /**
   * The writer: with writer_thread (the default), on its own thread once events come fast (the
   * call's path then only pays for posting them) and on the main thread while they come slowly;
   * on the main thread always with `writer_thread: false`, for an in-memory trail (a thread cannot
   * see it) and when the thread's script is missing. Both write the same rows: the thread runs
   * this very AuditWriter.
   */
  private startWriter(): AuditSink {
    const { spec, source, onError } = this.options;
    const redactor = this.options.redactor ?? sharedRedactor;
    const key = loadOrCreateAuditKey(this.path);
    const instance = randomUUID();
    // Pairing where the batches are cut: here for a writer on its own, in ThreadedAuditWriter before it posts.
    const onMainThread = (pairing?: CallPairing): AuditWriter =>
      new AuditWriter({
        store: this.store,
        encoder: createRowEncoder({ capture: spec.capture, key, redactor, instance, source }),
        batchMs: spec.batchMs,
        onError,
        pairing,
      });
    const alone = (): AuditWriter => onMainThread(new CallPairing(spec.capture));
    const threadAtEvents = this.options.threadAtEvents ?? threadThreshold(spec);
    // No thread wanted, or an in-memory trail a thread cannot see: the plain writer.
    if (threadAtEvents === undefined || this.path === ":memory:") return alone();
    const script = this.options.writerScript ?? DEFAULT_WRITER_SCRIPT;
    if (!existsSync(fileURLToPath(script))) {
      this.options.onNotice?.(`the audit writer thread's script is missing (${fileURLToPath(script)}): writing on the main thread`);
      return alone();
    }
    try {
      return new ThreadedAuditWriter({
        script,
        path: this.path,
        capture: spec.capture,
        key,
        instance,
        source,
        redactor,
        batchMs: spec.batchMs,
        onError,
        onMainThread: () => onMainThread(),
        threadAtEvents,
        flushTimeoutMs: this.options.flushTimeoutMs,
        crashOnEventType: this.options.crashWriterThreadOn,
        onThreadStart: this.options.onThreadStart,
      });
    } catch (error) {
      this.options.onNotice?.(`the audit writer thread cannot start (${String(error)}): writing on the main thread`);
      return alone();
    }
  }

  /** Starts recording the bus's events (attach before the actors start, to miss none). */
  attach(bus: DomainEventBus): void {
    this.detach ??= this.writer.attach(bus);
  }

  /** Counters of the given providers from earlier runs of this hangar. */
  replay(providerIds: readonly string[]): Record<string, ProviderRecord> {
    return replayProviders(this.store.db, this.options.source, providerIds);
  }

  prune(now = Date.now()): PruneResult {
    try {
      return pruneOlderThan(this.store.db, this.options.spec.retentionDays, now);
    } catch (error) {
      // Another hangar sharing the file is writing (or pruning): the next run will prune.
      if (!isBusy(error)) this.options.onError(error);
      return { pruned: 0, through: undefined };
    }
  }

  /** registry_history: a provider's recent transitions and calls in this hangar, pending events included. */
  recent(providerId: string, limit: number): { transitions: AuditEvent[]; calls: AuditEvent[] } {
    this.writer.flush();
    const filter = { provider: providerId, source: this.options.source, limit };
    return {
      transitions: queryEvents(this.store.db, { ...filter, types: TRANSITION_TYPES }),
      calls: queryEvents(this.store.db, { ...filter, types: CALL_TYPES }),
    };
  }

  flush(): void {
    this.writer.flush();
  }

  /** Whether the writer thread does the writing now (it starts once events come fast). */
  get writesOnThread(): boolean {
    return this.writer instanceof ThreadedAuditWriter && this.writer.threaded;
  }

  /** Writes what is pending and closes the file (shutdown). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach?.();
    this.detach = undefined;
    clearInterval(this.retentionTimer);
    this.writer.close();
    this.store.close();
  }
}
