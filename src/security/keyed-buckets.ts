import { TokenBucket, type RateLimitSpec } from "./token-bucket.js";

/** A backstop far above any sane number of live keys: past it the oldest buckets are forgotten. */
const DEFAULT_MAX_KEYS = 100_000;
const MIN_SWEEP_INTERVAL_MS = 1_000;
const MAX_SWEEP_INTERVAL_MS = 60_000;

/**
 * Token buckets by key (principal names), all with one spec. Memory stays bounded under many
 * keys: a bucket that has refilled to its burst is the same as no bucket, so a sweep — run on
 * access, at most once per refill period — drops every full one. Only keys used within about
 * one refill period are kept; `maxKeys` caps even a burst of fresh keys.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly sweepIntervalMs: number;
  private lastSweep: number;

  constructor(
    private readonly spec: RateLimitSpec,
    private readonly clock: () => number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    const refillMs = (spec.burst / spec.rps) * 1000;
    this.sweepIntervalMs = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, refillMs));
    this.lastSweep = clock();
  }

  /** The bucket of `key`, created full on first use. */
  get(key: string, now: number = this.clock()): TokenBucket {
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.evict(now);
      bucket = new TokenBucket(this.spec, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops every bucket that has refilled completely. */
  sweep(now: number = this.clock()): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(key);
    }
  }

  private evict(now: number): void {
    this.sweep(now);
    // Still at the cap: forget the oldest tenth (Map order is insertion order), so the sweep runs
    // once per many new keys. Their callers get a fresh bucket — lenient, but memory never grows
    // past the cap.
    const excess = this.buckets.size - this.maxKeys + Math.max(1, Math.floor(this.maxKeys / 10));
    if (excess <= 0) return;
    let dropped = 0;
    for (const key of this.buckets.keys()) {
      if (dropped++ >= excess) break;
      this.buckets.delete(key);
    }
  }
}
