import type { AuditCapture } from "../../config/types.js";
import type { StampedDomainEvent } from "../../shared/domain-events.js";

/**
 * One row per answered call: a ToolInvocationRequested whose answer (ToolInvocationCompleted or
 * ToolInvocationFailed of the same provider and correlation id) comes in the same batch is not
 * written as a row of its own; the answer's row carries what it would have added — the call's
 * `arguments` (captured as audit.capture says) and, when the answer has no `durationMs` to
 * date the request by, the request's time as `requestedAt`. A call still in flight when its
 * batch is cut keeps its Requested row, so a call the hangar never answered (it died mid-call)
 * is never missing from the file. Half the rows, half the encoding, hashing and SQLite per call.
 *
 * It runs where the batches are cut, once per event, in order (the sink on the main thread:
 * ThreadedAuditWriter.post, or the main-thread-only AuditWriter), so the writer thread, the
 * main-thread fallback and the crash hand-over all write the same merged events.
 *
 * A client may reuse a correlation id (registry_invoke_ex's correlation_id) for calls in flight
 * at the same time; an answer then cannot say which request it answers. So the open requests
 * of each (provider, correlation id) are counted across batches, and a pair is made only when
 * exactly one request is open and it is in this batch: never a wrong pair, at worst two rows.
 * Answers with a `stage` (refused, queued) never reached the provider and had no request.
 */
/**
 * A batch once paired: its events in order without the requests answered within it, and the
 * request folded into each answer (`requests[i]` for `events[i]`; undefined when none was).
 */
export interface PairedBatch {
  events: readonly StampedDomainEvent[];
  requests: readonly (StampedDomainEvent | undefined)[] | undefined;
}

/** Open requests of one (provider, correlation id); the few others of the same id hang off `next`. */
interface OpenCalls {
  providerId: unknown;
  /** Requests not answered yet, in this batch or earlier ones. */
  open: number;
  /** Two or more were open at once since the count was last 0: no pairing until it is 0 again. */
  ambiguous: boolean;
  /** The one open request's place in the batch `batch`. */
  index: number;
  batch: number;
  next: OpenCalls | undefined;
}

/**
 * Correlation ids with open requests kept at most (calls in flight, plus any request whose answer
 * never came); beyond it the oldest are forgotten: their answers are then written as they are.
 */
const MAX_OPEN_IDS = 20_000;

export class CallPairing {
  private readonly open = new Map<unknown, OpenCalls>();
  private batch = 0;

  constructor(private readonly capture: AuditCapture) {}

  /** The batch paired, as the objects the main-thread writer encodes. */
  pairObjects(events: readonly StampedDomainEvent[]): readonly StampedDomainEvent[] {
    return mergedEvents(this.pair(events), this.capture);
  }

  /** The batch as it is to be written: requests answered within it left out, each beside its answer. */
  pair(events: readonly StampedDomainEvent[]): PairedBatch {
    const batch = (this.batch = (this.batch + 1) % 0x3fffffff);
    let absorbed: boolean[] | undefined;
    let requestOf: (StampedDomainEvent | undefined)[] | undefined;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index] as StampedDomainEvent;
      if (event.type === "ToolInvocationRequested") this.opened(event, index, batch);
      else if (event.type === "ToolInvocationCompleted" || (event.type === "ToolInvocationFailed" && event.stage === undefined)) {
        const calls = this.answered(event);
        if (calls === undefined || calls.ambiguous || calls.batch !== batch || calls.open !== 0) continue;
        absorbed ??= new Array<boolean>(events.length).fill(false);
        requestOf ??= new Array<StampedDomainEvent | undefined>(events.length);
        absorbed[calls.index] = true;
        requestOf[index] = events[calls.index];
      }
    }
    if (absorbed === undefined || requestOf === undefined) return { events, requests: undefined };
    const kept: StampedDomainEvent[] = [];
    const requests: (StampedDomainEvent | undefined)[] = [];
    for (let index = 0; index < events.length; index += 1) {
      if (absorbed[index] === true) continue;
      kept.push(events[index] as StampedDomainEvent);
      requests.push(requestOf[index]);
    }
    return { events: kept, requests };
  }

  /** Open requests kept (for tests: bounded, and empty once every call was answered). */
  get openIds(): number {
    return this.open.size;
  }

  private opened(event: StampedDomainEvent & { correlationId: string; providerId: string }, index: number, batch: number): void {
    const first = this.open.get(event.correlationId);
    const calls = first === undefined ? undefined : find(first, event.providerId);
    if (calls !== undefined) {
      calls.open += 1;
      calls.ambiguous = true;
      return;
    }
    const added: OpenCalls = { providerId: event.providerId, open: 1, ambiguous: false, index, batch, next: first };
    if (first !== undefined) this.open.delete(event.correlationId);
    else if (this.open.size >= MAX_OPEN_IDS) this.forgetOldest();
    this.open.set(event.correlationId, added);
  }

  /** The open requests an answer closes one of (undefined: none open, the answer is written as it is). */
  private answered(event: StampedDomainEvent & { correlationId: string; providerId: string }): OpenCalls | undefined {
    const first = this.open.get(event.correlationId);
    if (first === undefined) return undefined;
    const calls = find(first, event.providerId);
    if (calls === undefined) return undefined;
    calls.open -= 1;
    if (calls.open > 0) return calls;
    // The last open one: forgotten (a later request of the same id starts afresh).
    const rest = without(first, calls);
    if (rest === undefined) this.open.delete(event.correlationId);
    else this.open.set(event.correlationId, rest);
    return calls;
  }

  private forgetOldest(): void {
    for (const key of this.open.keys()) {
      this.open.delete(key);
      return;
    }
  }
}

function find(first: OpenCalls, providerId: unknown): OpenCalls | undefined {
  for (let calls: OpenCalls | undefined = first; calls !== undefined; calls = calls.next) if (calls.providerId === providerId) return calls;
  return undefined;
}

/** The list without `gone`. */
function without(first: OpenCalls, gone: OpenCalls): OpenCalls | undefined {
  if (first === gone) return gone.next;
  for (let calls = first; calls.next !== undefined; calls = calls.next) {
    if (calls.next === gone) {
      calls.next = gone.next;
      break;
    }
  }
  return first;
}

/**
 * What the request adds to its answer's row, `arguments` then `requestedAt`: its arguments (not with
 * capture `none`, which stores none), and its time when the answer has no durationMs to date it by.
 */
export function foldedValues(answer: StampedDomainEvent, request: StampedDomainEvent, capture: AuditCapture): [unknown, number | undefined] {
  const args = capture === "none" ? undefined : (request as { arguments?: unknown }).arguments;
  const requestedAt = (answer as { durationMs?: unknown }).durationMs === undefined ? request.timestamp : undefined;
  return [args, requestedAt];
}

/**
 * The answer's event with its request folded in, as one object (the main-thread writer encodes
 * objects; the wire to the writer thread adds the same fields as pairs, audit-wire.ts): a copy,
 * since the bus's event object is shared with every observer. The folded fields come last.
 */
export function mergedEvent(answer: StampedDomainEvent, request: StampedDomainEvent | undefined, capture: AuditCapture): StampedDomainEvent {
  if (request === undefined) return answer;
  const [args, requestedAt] = foldedValues(answer, request, capture);
  if (args === undefined && requestedAt === undefined) return answer;
  const merged = Object.assign({}, answer) as Record<string, unknown>;
  // The answer's own fields of these names (none of the hangar's have them) give way: the folded ones come last.
  if ("arguments" in merged) delete merged.arguments;
  if ("requestedAt" in merged) delete merged.requestedAt;
  if (args !== undefined) merged.arguments = args;
  if (requestedAt !== undefined) merged.requestedAt = requestedAt;
  return merged as unknown as StampedDomainEvent;
}

/** A paired batch's events as objects (mergedEvent for each answer that absorbed its request). */
export function mergedEvents(batch: PairedBatch, capture: AuditCapture): readonly StampedDomainEvent[] {
  const { events, requests } = batch;
  if (requests === undefined) return events;
  return events.map((event, index) => mergedEvent(event, requests[index], capture));
}
