/**
 * Whether this turn of the event loop read a chunk holding several lines (several messages at
 * once, from a client or a provider). The stdio legs write a group's first message at once so a
 * lone call is never held back (TickWrites); but when the read that set the group off held
 * several messages, the writes it leads to come several in the same tick, and writing the first
 * at once splits them: one write (and one wake-up of the reader) for the first, another for the
 * rest. The reader then answers the lone first message alone, and so on round the loop — at 16
 * callers most reads on both legs held one line, each paying the whole per-wake-up cost (the
 * two processes woken, an xstate step, a write) for one call. After such a read the group's
 * writes all wait for its end (this tick, or this turn) and leave as one write. A read of one
 * line — every read of a lone sequential call — leaves the first-write-at-once rule as it was.
 *
 * Process-wide on purpose: the read is on one leg and the writes it causes on the other (a
 * provider's chunk of answers becomes the client's answers), and a turn's reads and writes are
 * all on the one event loop. It lasts until the turn's check phase (setImmediate), after every
 * I/O callback the turn polled and the ticks and microtasks they set off.
 */
export class ReadBurst {
  private several = false;

  /** True after a read of several lines, until this turn of the event loop ends. */
  get active(): boolean {
    return this.several;
  }

  /** A read brought several lines at once (called before the first of them is delivered). */
  readonly note = (): void => {
    if (this.several) return;
    this.several = true;
    setImmediate(this.endTurn);
  };

  private readonly endTurn = (): void => {
    this.several = false;
  };
}

/** The one event loop's: the stdio legs note their reads here and their writes read it. */
export const readBurst = new ReadBurst();
