import { describe, expect, it } from "vitest";
import { KeyedBuckets } from "../../src/security/keyed-buckets.js";
import { describeRateLimitRefusal, RateLimiter, type ProviderRateLimits } from "../../src/security/rate-limiter.js";
import { TokenBucket } from "../../src/security/token-bucket.js";

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

describe("token bucket", () => {
  it("lets a burst through, then one call per 1/rps, and says when the next token comes", () => {
    const bucket = new TokenBucket({ rps: 10, burst: 3 }, 0);
    for (let i = 0; i < 3; i++) {
      expect(bucket.hasToken(0)).toBe(true);
      bucket.take(0);
    }
    expect(bucket.hasToken(0)).toBe(false);
    expect(bucket.retryAfterMs(0)).toBe(100);
    expect(bucket.retryAfterMs(40)).toBe(60);
    expect(bucket.hasToken(100)).toBe(true);
    bucket.take(100);
    expect(bucket.hasToken(100)).toBe(false);
    // Refills to the burst, never beyond.
    expect(bucket.level(60_000)).toBe(3);
    expect(bucket.isFull(60_000)).toBe(true);
  });
});

const LIMITS = new Map<string, ProviderRateLimits>([
  ["math", { rateLimit: { rps: 2, burst: 4 }, toolsRateLimit: { slow: { rps: 1, burst: 2 } } }],
  ["free", {}],
]);

describe("rate limiter", () => {
  const limiter = (clock: () => number): RateLimiter =>
    new RateLimiter(
      {
        limitsOf: (id) => LIMITS.get(id),
        principal: { rps: 5, burst: 5 },
      },
      clock,
    );

  it("refuses the N+1st call to a provider with its limit and the retry time, and refills", () => {
    const clock = fakeClock();
    const rl = limiter(clock.now);
    for (let i = 0; i < 4; i++) expect(rl.admit("math", "add", undefined)).toBeUndefined();
    const refusal = rl.admit("math", "add", undefined);
    expect(refusal).toEqual({ level: "provider", subject: "math", spec: { rps: 2, burst: 4 }, retryAfterMs: 500 });
    expect(refusal && describeRateLimitRefusal(refusal)).toBe("rate limit exceeded for provider 'math' (rate_limit): 2 calls/s, burst 4; retry after 0.5 s");
    clock.advance(499);
    expect(rl.admit("math", "add", undefined)?.retryAfterMs).toBe(1);
    clock.advance(1);
    expect(rl.admit("math", "add", undefined)).toBeUndefined();
    // Unlimited providers and tools pass.
    for (let i = 0; i < 100; i++) expect(rl.admit("free", "x", undefined)).toBeUndefined();
  });

  it("refuses the N+1st call to a tool without using up its provider's tokens", () => {
    const clock = fakeClock();
    const rl = limiter(clock.now);
    expect(rl.admit("math", "slow", undefined)).toBeUndefined();
    expect(rl.admit("math", "slow", undefined)).toBeUndefined();
    const refusal = rl.admit("math", "slow", undefined);
    expect(refusal?.level).toBe("tool");
    expect(refusal?.subject).toBe("math/slow");
    expect(refusal?.retryAfterMs).toBe(1000);
    // The provider had 4 and gave 2 to slow; the refused call took none.
    expect(rl.admit("math", "add", undefined)).toBeUndefined();
    expect(rl.admit("math", "add", undefined)).toBeUndefined();
    expect(rl.admit("math", "add", undefined)?.level).toBe("provider");
    clock.advance(1000);
    expect(rl.admit("math", "slow", undefined)).toBeUndefined();
  });

  it("refuses the N+1st call of a principal, each principal with its own bucket", () => {
    const clock = fakeClock();
    const rl = limiter(clock.now);
    for (let i = 0; i < 5; i++) expect(rl.admit(undefined, undefined, "alice")).toBeUndefined();
    expect(rl.admit(undefined, undefined, "alice")).toMatchObject({ level: "principal", subject: "alice", retryAfterMs: 200 });
    expect(rl.admit("free", "x", "alice")?.level).toBe("principal");
    expect(rl.admit(undefined, undefined, "bob")).toBeUndefined();
    clock.advance(200);
    expect(rl.admit(undefined, undefined, "alice")).toBeUndefined();
  });

  it("follows each provider's current limits: new providers, changed values get fresh buckets, equal values keep their tokens", () => {
    const clock = fakeClock();
    const current = new Map<string, ProviderRateLimits>();
    const rl = new RateLimiter({ limitsOf: (id) => current.get(id) }, clock.now);
    // Not limited yet (a provider without limits, or one not known at start-up).
    for (let i = 0; i < 5; i++) expect(rl.admit("late", "x", undefined)).toBeUndefined();
    current.set("late", { rateLimit: { rps: 1, burst: 2 } });
    expect(rl.admit("late", "x", undefined)).toBeUndefined();
    expect(rl.admit("late", "x", undefined)).toBeUndefined();
    expect(rl.admit("late", "x", undefined)?.level).toBe("provider");
    // A new spec object with the same values (a reload that changed something else): still empty.
    current.set("late", { rateLimit: { rps: 1, burst: 2 }, toolsRateLimit: {} });
    expect(rl.admit("late", "x", undefined)?.level).toBe("provider");
    // Other values: fresh buckets with the new limit.
    current.set("late", { rateLimit: { rps: 1, burst: 3 } });
    for (let i = 0; i < 3; i++) expect(rl.admit("late", "x", undefined)).toBeUndefined();
    expect(rl.admit("late", "x", undefined)?.spec).toEqual({ rps: 1, burst: 3 });
    // Limits removed: the provider is free again.
    current.delete("late");
    expect(rl.admit("late", "x", undefined)).toBeUndefined();
  });

  it("keeps memory bounded under 10,000 distinct principals: idle buckets are dropped", () => {
    const clock = fakeClock();
    const rl = new RateLimiter({ principal: { rps: 1, burst: 2 } }, clock.now);
    const measure = (): number => {
      for (let round = 0; round < 5; round++) {
        let refused = 0;
        for (let i = 0; i < 10_000; i++) if (rl.admit(undefined, undefined, `principal-${round}-${i}`) !== undefined) refused++;
        expect(refused).toBe(0);
        // Every one of them goes idle: two seconds refill a burst of 2 at 1 rps.
        clock.advance(2_000);
      }
      return rl.principalBuckets;
    };
    const afterFirst = measure();
    // Within one refill period at most the keys of that period are held, however many came before.
    expect(afterFirst).toBeLessThanOrEqual(10_000);
    const afterMore = measure();
    expect(afterMore).toBeLessThanOrEqual(10_000);
    clock.advance(2_000);
    rl.admit(undefined, undefined, "last");
    expect(rl.principalBuckets).toBe(1);
  });

  it("caps the keys even when fresh ones arrive faster than buckets refill", () => {
    const clock = fakeClock();
    const buckets = new KeyedBuckets({ rps: 1, burst: 1 }, clock.now, 1_000);
    for (let i = 0; i < 10_000; i++) buckets.get(`key-${i}`).take(clock.now());
    expect(buckets.size).toBeLessThanOrEqual(1_000);
  });
});
