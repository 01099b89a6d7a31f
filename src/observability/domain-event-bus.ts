import type { DomainEvent, StampedDomainEvent } from "../shared/domain-events.js";

export type DomainEventListener = (event: StampedDomainEvent) => void;

/**
 * The one channel every observer (logs, metrics, traces, audit) reads domain events from.
 * The runtime feeds it from the actors' `emit`s; it stamps each event once with a sequence
 * number, a timestamp and the emitting actor's systemId. A listener that throws is isolated:
 * observers never break the system they observe.
 */
export class DomainEventBus {
  private seq = 0;
  private readonly listeners = new Set<DomainEventListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  subscribe(listener: DomainEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(systemId: string, event: DomainEvent): void {
    this.seq += 1;
    // Hot path: without observers, no stamped copy is made.
    if (this.listeners.size === 0) return;
    // Object.assign, not `{ ...event, seq, … }`: on Node 20 that spread takes V8's slow path,
    // ≈ 2.7 µs per event against ≈ 0.2 µs (two events per call). Same keys, same order.
    const stamped = Object.assign({}, event) as StampedDomainEvent;
    stamped.seq = this.seq;
    stamped.timestamp = Date.now();
    stamped.systemId = systemId;
    for (const listener of this.listeners) {
      try {
        listener(stamped);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }

  get lastSeq(): number {
    return this.seq;
  }
}
