import type { ToolCall } from "../machines/call.js";

/**
 * The calls the front ends make in one tick, gathered by target so each actor takes them in one
 * step. Under concurrency requests come in bunches (one pipe read, one burst of HTTP requests,
 * holds many), and every event costs the provider chart a whole step; so calls wait here until
 * the tick's microtasks run, then go out together, in the order they were made.
 *
 * Whatever else the runtime does sends what waits first (`flush`), so a stop, a reload or a read
 * of a provider's state right after a call finds the call where it would have been without the
 * wait.
 */
export class TickInvokes {
  private waiting = new Map<string, ToolCall[]>();

  constructor(private readonly deliver: (providerId: string, calls: ToolCall[]) => void) {}

  add(providerId: string, call: ToolCall): void {
    const calls = this.waiting.get(providerId);
    if (calls !== undefined) {
      calls.push(call);
      return;
    }
    if (this.waiting.size === 0) queueMicrotask(this.flush);
    this.waiting.set(providerId, [call]);
  }

  /** Sends every call waiting, per target in the order made. Runs by itself when the tick's microtasks run. */
  readonly flush = (): void => {
    if (this.waiting.size === 0) return;
    const waiting = this.waiting;
    this.waiting = new Map();
    for (const [providerId, calls] of waiting) this.deliver(providerId, calls);
  };
}
