import process from "node:process";
import type { Writable } from "node:stream";
import { readBurst, type ReadBurst } from "./read-burst.js";

/**
 * How long a group of writes lasts. `tick`: until the current tick ends (process.nextTick) —
 * what one read of a stream brings in, e.g. the lines of one chunk of a stdio client. `turn`:
 * until the current turn of the event loop ends (setImmediate, after every I/O callback the
 * turn polled) — what several reads bring in together, e.g. the requests of many HTTP clients,
 * each on its own socket and so each in a tick of its own.
 */
export type WriteGrouping = "tick" | "turn";

/**
 * Groups a stream's writes: the group's first write leaves at once (a lone message is not held
 * back while the process finishes its bookkeeping), the rest are corked and leave together in
 * one write when the group ends — many messages at once cost two system calls, not one each.
 * Both stdio legs write this way: the hangar's answers to its client (by tick) and its requests
 * to each provider (by turn, see WriteGrouping).
 *
 * Except after a read of several lines in this turn (ReadBurst): then the writes come several
 * at a time, and the group's first is corked too, so they all leave in one write and wake the
 * reader once with all of them — not once for the first and again for the rest.
 */
export class TickWrites {
  private state: "none" | "first" | "corked" = "none";

  constructor(
    private readonly stream: Writable,
    private readonly grouping: WriteGrouping = "tick",
    private readonly burst: ReadBurst = readBurst,
  ) {}

  /** Call right before each write to the stream. */
  beforeWrite(): void {
    if (this.state === "none") {
      if (this.grouping === "tick") process.nextTick(this.endTick);
      else setImmediate(this.endTick);
      if (!this.burst.active) {
        this.state = "first";
        return;
      }
      this.state = "corked";
      this.stream.cork();
    } else if (this.state === "first") {
      this.state = "corked";
      this.stream.cork();
    }
  }

  /** What this group corked leaves now; runs by itself when the group ends (call it early before a close). */
  readonly endTick = (): void => {
    const corked = this.state === "corked";
    this.state = "none";
    // A stream ended meanwhile has uncorked already: uncork() is then a no-op.
    if (corked) this.stream.uncork();
  };
}
