import type { DomainEvent, StampedDomainEvent } from "../shared/domain-events.js";

export type DomainEventListener = (event: StampedDomainEvent) => void;

/**
 * The one channel every observer (logs, metrics, traces, audit) reads domain events from.
 * The runtime feeds it from the actors' `emit`s; it stamps each event once with a sequence
 * number, a timestamp and the emitting actor's systemId. A listener that throws is isolated:
 * observers never break the system they observe.
 *
 * The event is stamped in place, not copied: a published event is handed over — every publisher
 * builds a fresh object per event (the charts' `emit`s, the security refusals, the config
 * reload) and never touches it again, and observers may keep it (the audit trail holds it until
 * its batch is written). Two events per call made a copy each: an object per event less to
 * allocate, and to copy again in every scavenge while the audit holds it.
 */
export class DomainEventBus {
  private seq = 0;
  private readonly listeners = new Set<DomainEventListener>();

  constructor(private readonly onListenerError: (error: unknown) => void = () => undefined) {}

  subscribe(listener: DomainEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stamps `event` (in place) and hands it to every listener; the caller gives it up. */
  publish(systemId: string, event: DomainEvent): void {
    this.seq += 1;
    // Hot path: without observers, no stamped copy is made.
    if (this.listeners.size === 0) return;
    // The stamps go after the event's own keys, in this order (the keys a copy had, in its order).
    const stamped = event as StampedDomainEvent;
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
