import { randomUUID } from "node:crypto";
import type { AuditSpec } from "../../config/types.js";
import type { ProviderRecord } from "../../machines/provider-types.js";
import type { ProviderHistorySource } from "../../runtime/hangar-runtime.js";
import { redactor as sharedRedactor, type Redactor } from "../../shared/redaction.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import { createRowEncoder } from "./capture.js";
import { loadOrCreateAuditKey } from "./key.js";
import { queryEvents, type AuditEvent } from "./query.js";
import { replayProviders } from "./replay.js";
import { pruneOlderThan, type PruneResult } from "./retention.js";
import { AuditStore, defaultAuditPath, isBusy, openAuditDatabase } from "./store.js";
import { AuditWriter } from "./writer.js";

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
  private readonly writer: AuditWriter;
  private readonly retentionTimer: NodeJS.Timeout;
  private detach: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: AuditTrailOptions) {
    this.path = options.spec.path ?? defaultAuditPath(options.env);
    this.store = new AuditStore(openAuditDatabase(this.path));
    const encoder = createRowEncoder({
      capture: options.spec.capture,
      key: loadOrCreateAuditKey(this.path),
      redactor: options.redactor ?? sharedRedactor,
      instance: randomUUID(),
      source: options.source,
    });
    this.writer = new AuditWriter({ store: this.store, encoder, batchMs: options.spec.batchMs, onError: options.onError });
    this.prune();
    this.retentionTimer = setInterval(() => {
      this.prune();
    }, DAY_MS);
    this.retentionTimer.unref();
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
