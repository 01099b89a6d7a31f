import process from "node:process";
import type { Writable } from "node:stream";

/**
 * Groups a stream's writes by tick: the tick's first write leaves at once (a lone message is not
 * held back while the process finishes its bookkeeping), the rest of the tick's are corked and
 * leave together in one write when the tick ends — many messages at once cost two system calls,
 * not one each. Both stdio legs write this way: the hangar's answers to its client and its
 * requests to each provider.
 */
export class TickWrites {
  private state: "none" | "first" | "corked" = "none";

  constructor(private readonly stream: Writable) {}

  /** Call right before each write to the stream. */
  beforeWrite(): void {
    if (this.state === "none") {
      this.state = "first";
      process.nextTick(this.endTick);
    } else if (this.state === "first") {
      this.state = "corked";
      this.stream.cork();
    }
  }

  /** What this tick corked leaves now; runs by itself when the tick ends (call it early before a close). */
  readonly endTick = (): void => {
    const corked = this.state === "corked";
    this.state = "none";
    // A stream ended meanwhile has uncorked already: uncork() is then a no-op.
    if (corked) this.stream.uncork();
  };
}
