import type { Logger } from "../observability/log.js";

/** Default: at most this many stderr lines per provider reach the hangar log each second. */
export const STDERR_LOG_LINES_PER_SECOND = 50;
const WINDOW_MS = 1_000;

export interface StderrLogLimiterOptions {
  linesPerSecond?: number;
  /** The clock (tests pass a fake one). */
  now?: () => number;
}

/**
 * Rate-limits the logging of one provider's stderr: a provider printing megabytes must not flood
 * the hangar's log (or its disk, or a desktop app's log view). Within each one-second window the
 * first `linesPerSecond` lines are logged; the rest are counted, and when the window closes one
 * "… N stderr lines suppressed" line says how many were left out. Only logging is limited: the
 * caller still keeps every line in the provider's stderr ring.
 */
export class StderrLogLimiter {
  private readonly linesPerSecond: number;
  private readonly now: () => number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private logged = 0;
  private suppressed = 0;
  /** Runs when the window closes while lines are suppressed, so the summary comes even if the flood stops. */
  private summaryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    options: StderrLogLimiterOptions = {},
  ) {
    this.linesPerSecond = options.linesPerSecond ?? STDERR_LOG_LINES_PER_SECOND;
    this.now = options.now ?? (() => performance.now());
  }

  line(text: string): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.summarize();
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.linesPerSecond) {
      this.logged++;
      this.log.info(text, { stream: "stderr" });
      return;
    }
    this.suppressed++;
    if (this.summaryTimer === undefined) {
      this.summaryTimer = setTimeout(this.onWindowEnd, Math.max(0, this.windowStart + WINDOW_MS - now));
      // Never keeps the hangar alive on its own.
      this.summaryTimer.unref();
    }
  }

  /** Logs what is still suppressed and stops the timer (the provider's stderr has ended). */
  close(): void {
    this.summarize();
  }

  private summarize(): void {
    clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
    if (this.suppressed === 0) return;
    const count = this.suppressed;
    this.suppressed = 0;
    this.log.warn(`… ${count} stderr lines suppressed (more than ${this.linesPerSecond} lines/s)`, { stream: "stderr", suppressed: count });
  }

  private readonly onWindowEnd = (): void => {
    this.summaryTimer = undefined;
    this.summarize();
    // The next window starts with the next line.
    this.windowStart = Number.NEGATIVE_INFINITY;
  };
}
