import type { RequestId } from "@modelcontextprotocol/sdk/types.js";

/**
 * The requests one side of a session sent that the other side has not answered yet, by id: the
 * client's requests the hangar owes an answer (what a drain waits for when stdin ends), or the
 * hangar's requests to the client (sampling, elicitation, roots) that the client owes one.
 * One Set entry per request — the whole per-call cost on the stdio front end's hot path.
 */
export class OpenRequests {
  private readonly ids = new Set<RequestId>();
  private whenEmptyListener: (() => void) | undefined;

  get size(): number {
    return this.ids.size;
  }

  has(id: RequestId): boolean {
    return this.ids.has(id);
  }

  opened(id: RequestId): void {
    this.ids.add(id);
  }

  /** The request was answered (or the asker gave up on it); false when it was not open. */
  closed(id: RequestId): boolean {
    if (!this.ids.delete(id)) return false;
    if (this.ids.size === 0 && this.whenEmptyListener !== undefined) {
      const listener = this.whenEmptyListener;
      this.whenEmptyListener = undefined;
      listener();
    }
    return true;
  }

  /** Every open id, which are all closed at once (without the whenEmpty call: the caller acts on them). */
  takeAll(): RequestId[] {
    const all = [...this.ids];
    this.ids.clear();
    this.whenEmptyListener = undefined;
    return all;
  }

  /** Runs `listener` once, when the last open request closes (never if none is open now: check size first). */
  whenEmpty(listener: () => void): void {
    this.whenEmptyListener = listener;
  }
}
