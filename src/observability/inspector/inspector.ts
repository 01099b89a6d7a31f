import type { AnyActorRef, InspectionEvent } from "xstate";
import { actorMessage, inspectionMessage, type InspectorMessage } from "./messages.js";
import type { Sanitizer } from "./sanitize.js";

/**
 * The observer handed to the actor system (HangarRuntime's `inspect` option). It is called
 * synchronously for every inspection event, inside the actors' own processing, so it does almost
 * nothing there:
 *
 * - nobody watching: it notes new actors (for the next viewer) and returns;
 * - someone watching: it queues the event and its time; one `setImmediate` per batch then
 *   sanitizes, serializes and sends the batch. Snapshots are immutable, so reading them a tick
 *   later shows what they were.
 *
 * A viewer that connects gets every live actor with its current snapshot first, so it sees the
 * whole system however late it arrives. Nothing here can throw into an actor.
 */
export interface InspectorSink {
  readonly clientCount: number;
  broadcast(message: string): void;
}

export interface InspectorOptions {
  sink: InspectorSink;
  sanitizer: Sanitizer;
  /** Events queued beyond this (a stalled event loop) drop the oldest. */
  maxQueued?: number;
  /** A message that could not be built or sent (reported once per kind of failure by the caller). */
  onError?: (error: unknown) => void;
}

/** Actors noted while nobody watches; stopped ones are swept when the map doubles. */
const SWEEP_FLOOR = 64;

export class ActorInspector {
  private readonly actors = new Map<string, AnyActorRef>();
  /** Flat pairs: event, Date.now() when it happened. */
  private queue: (InspectionEvent | number)[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private sweepAt = SWEEP_FLOOR;
  private stopped = false;
  /** The queue overflowed and was dropped: the next flush sends every live actor's current state. */
  private resync = false;
  private readonly maxQueued: number;

  constructor(private readonly options: InspectorOptions) {
    this.maxQueued = options.maxQueued ?? 10_000;
  }

  /** The observer for xstate's `inspect` option (bound: pass it as is). */
  readonly inspect = (event: InspectionEvent): void => {
    switch (event.type) {
      case "@xstate.actor":
        this.note(event.actorRef as AnyActorRef);
        break;
      case "@xstate.event":
      case "@xstate.snapshot":
        break;
      default:
        return; // microsteps and actions: the page does not use them
    }
    if (this.stopped || this.options.sink.clientCount === 0) return;
    if (this.queue.length >= this.maxQueued * 2) {
      // A burst the event loop could not keep up with (no turn between events): history is lost,
      // the current state is not — the flush resends it. O(1) here, whatever the backlog.
      this.queue = [];
      this.resync = true;
    }
    this.queue.push(event, Date.now());
    this.scheduled ??= setImmediate(this.flush);
  };

  /** Every live actor with its current snapshot, parents first: what a new viewer needs. */
  replay(send: (message: string) => void): void {
    const now = Date.now();
    const live = [...this.actors.values()].filter((ref) => statusOf(ref) === "active");
    live.sort((a, b) => depth(a) - depth(b));
    for (const ref of live) this.send(() => actorMessage(ref, this.options.sanitizer, now), send);
  }

  /** Drops what is queued; nothing more is sent. */
  stop(): void {
    this.stopped = true;
    this.resync = false;
    this.queue = [];
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private note(ref: AnyActorRef): void {
    this.actors.set(ref.sessionId, ref);
    if (this.actors.size < this.sweepAt) return;
    for (const [sessionId, actor] of this.actors) if (statusOf(actor) !== "active") this.actors.delete(sessionId);
    this.sweepAt = Math.max(SWEEP_FLOOR, this.actors.size * 2);
  }

  private readonly flush = (): void => {
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    const broadcast = (message: string): void => {
      this.options.sink.broadcast(message);
    };
    if (this.resync) {
      this.resync = false;
      this.replay(broadcast);
    }
    for (let i = 0; i < batch.length; i += 2) {
      const event = batch[i] as InspectionEvent;
      const at = batch[i + 1] as number;
      this.send(() => inspectionMessage(event, this.options.sanitizer, at), broadcast);
    }
  };

  private send(build: () => InspectorMessage | undefined, send: (message: string) => void): void {
    try {
      const message = build();
      if (message !== undefined) send(JSON.stringify(message));
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}

function depth(ref: AnyActorRef): number {
  let n = 0;
  for (let parent = ref._parent; parent; parent = parent._parent) n += 1;
  return n;
}

function statusOf(ref: AnyActorRef): string {
  return (ref.getSnapshot() as { status: string }).status;
}
