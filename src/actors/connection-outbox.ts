import type { CallDone, ConnectionEvent, SucceededCallDone } from "../machines/connection-protocol.js";

/**
 * What a connection tells its provider actor, with the answered calls of one tick sent as one
 * event. Every event costs the provider chart a whole step (xstate selects transitions, runs
 * actions and builds a snapshot for each), and under concurrency answers arrive in bunches: one
 * pipe read, or one HTTP body, holds many. So the calls the provider answered (ok, tool_error)
 * wait here until the tick's microtasks run and then go together as one CALLS.DONE (a lone one
 * as a plain CALL.DONE). Everything else keeps its order: a failed call's CALL.DONE, and any
 * other event, first sends what is waiting, then goes at once — the breaker judges failures one
 * by one, in the order they happened.
 *
 * The clients' answers never wait for this: a call's reply is given when it settles, and the
 * provider's bookkeeping follows within the same tick.
 */
export class ConnectionOutbox {
  private waiting: SucceededCallDone[] = [];

  constructor(private readonly sendBack: (event: ConnectionEvent) => void) {}

  /**
   * A finished call: `answer` gives the client its answer, at once either way. An answered
   * call's CALL.DONE is queued first, so the flush runs ahead of the promise reactions the answer
   * sets off (code awaiting a call sees it counted); a failed call's goes right after its answer,
   * behind what was waiting.
   */
  settle(event: CallDone, answer: () => void): void {
    if (!succeeded(event)) {
      answer();
      this.send(event);
      return;
    }
    if (this.waiting.length === 0) queueMicrotask(this.flush);
    this.waiting.push(event);
    answer();
  }

  /** Any other event (or a failed call): what waits goes first. */
  send(event: ConnectionEvent): void {
    this.flush();
    this.sendBack(event);
  }

  /** Sends the answered calls waiting, as one event. Runs by itself at the end of the tick. */
  readonly flush = (): void => {
    const calls = this.waiting;
    if (calls.length === 0) return;
    this.waiting = [];
    this.sendBack(calls.length === 1 ? (calls[0] as SucceededCallDone) : { type: "CALLS.DONE", calls });
  };
}

function succeeded(event: CallDone): event is SucceededCallDone {
  return event.kind === "ok" || event.kind === "tool_error";
}
