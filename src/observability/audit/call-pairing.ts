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

  /** The batch as it is to be written: answered requests folded into their answers (the same array when none was). */
  pair(events: readonly StampedDomainEvent[]): readonly StampedDomainEvent[] {
    const batch = (this.batch = (this.batch + 1) % 0x3fffffff);
    let paired: (StampedDomainEvent | undefined)[] | undefined;
    for (let index = 0; index < events.length; index += 1) {
      const event = events[index] as StampedDomainEvent;
      if (event.type === "ToolInvocationRequested") this.opened(event, index, batch);
      else if ((event.type === "ToolInvocationCompleted" || (event.type === "ToolInvocationFailed" && event.stage === undefined))) {
        const calls = this.answered(event);
        if (calls === undefined || calls.ambiguous || calls.batch !== batch || calls.open !== 0) continue;
        paired ??= events.slice();
        const requested = events[calls.index] as StampedDomainEvent;
        paired[calls.index] = undefined;
        paired[index] = this.merged(event, requested);
      }
    }
    if (paired === undefined) return events;
    return paired.filter((event): event is StampedDomainEvent => event !== undefined);
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

  /** The answer's event with the request's arguments (and its time, when the answer cannot date it): a new object, the bus's is shared. */
  private merged(answer: StampedDomainEvent, requested: StampedDomainEvent): StampedDomainEvent {
    const { arguments: args } = requested as { arguments?: unknown };
    const durationMs = (answer as { durationMs?: unknown }).durationMs;
    const withArguments = this.capture !== "none" && args !== undefined;
    if (!withArguments && durationMs !== undefined) return answer;
    const merged = Object.assign({}, answer) as Record<string, unknown>;
    if (withArguments) merged.arguments = args;
    if (durationMs === undefined) merged.requestedAt = requested.timestamp;
    return merged as unknown as StampedDomainEvent;
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
