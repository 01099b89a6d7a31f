/** A rate limit: `rps` tokens per second refill a bucket holding at most `burst`. */
export interface RateLimitSpec {
  rps: number;
  burst: number;
}

/**
 * A token bucket that refills lazily: nothing ticks, each read brings it up to date from the
 * clock, so an idle bucket costs no timer and a full one is indistinguishable from a new one
 * (which is why idle full buckets can be dropped — see KeyedBuckets).
 */
/** Refill arithmetic is in floating point: a token due at exactly t must count as there at t. */
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly spec: RateLimitSpec,
    now: number,
  ) {
    this.tokens = spec.burst;
    this.updatedAt = now;
  }

  /** Tokens available at `now` (fractional while refilling). */
  level(now: number): number {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.spec.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.spec.rps);
      this.updatedAt = now;
    }
    return this.tokens;
  }

  /** Whether a call may go now (does not take anything). */
  hasToken(now: number): boolean {
    return this.level(now) >= 1 - EPSILON;
  }

  /** Takes one token; callers check hasToken first (the bucket never goes below zero). */
  take(now: number): void {
    this.tokens = Math.max(0, this.level(now) - 1);
  }

  /** Milliseconds until one whole token is there (0 when one is there now). */
  retryAfterMs(now: number): number {
    const missing = 1 - this.level(now);
    return missing <= EPSILON ? 0 : Math.ceil((missing / this.spec.rps) * 1000 - EPSILON * 1000);
  }

  /** Full again: forgetting this bucket changes nothing. */
  isFull(now: number): boolean {
    return this.level(now) >= this.spec.burst - EPSILON;
  }
}
