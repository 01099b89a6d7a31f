import { KeyedBuckets } from "./keyed-buckets.js";
import { TokenBucket, type RateLimitSpec } from "./token-bucket.js";

/** Which configured limit refused a call. */
export type RateLimitLevel = "provider" | "tool" | "principal";

export interface RateLimitRefusal {
  level: RateLimitLevel;
  /** The provider id, `provider/tool`, or the principal's name. */
  subject: string;
  spec: RateLimitSpec;
  retryAfterMs: number;
}

export interface ProviderRateLimits {
  /** rate_limit: every call to the provider. */
  rateLimit?: RateLimitSpec | undefined;
  /** tools_rate_limit: calls to one tool of it (the provider's own tool name). */
  toolsRateLimit?: Readonly<Record<string, RateLimitSpec>> | undefined;
}

export interface RateLimiterConfig {
  providers: ReadonlyMap<string, ProviderRateLimits>;
  /** http.auth.rate_limit: every tools/call of one authenticated principal. */
  principal?: RateLimitSpec | undefined;
}

interface ProviderBuckets {
  bucket: TokenBucket | undefined;
  tools: Map<string, TokenBucket>;
}

/**
 * The three levels of rate limits in front of the providers. A call passes only when every level
 * that applies to it has a token, and then takes one from each — so a call refused by its tool's
 * limit does not use up its provider's. Nothing waits: a refusal says which limit and when to retry.
 * Per-call cost without limits configured: two Map lookups.
 */
export class RateLimiter {
  private readonly providers = new Map<string, ProviderBuckets>();
  private readonly principals: KeyedBuckets | undefined;

  constructor(
    config: RateLimiterConfig,
    private readonly clock: () => number = Date.now,
  ) {
    const now = clock();
    for (const [id, limits] of config.providers) {
      const tools = new Map<string, TokenBucket>();
      for (const [tool, spec] of Object.entries(limits.toolsRateLimit ?? {})) tools.set(tool, new TokenBucket(spec, now));
      const bucket = limits.rateLimit === undefined ? undefined : new TokenBucket(limits.rateLimit, now);
      if (bucket !== undefined || tools.size > 0) this.providers.set(id, { bucket, tools });
    }
    this.principals = config.principal === undefined ? undefined : new KeyedBuckets(config.principal, clock);
  }

  /** Whether any limit is configured at all (the front end skips the check when not). */
  get active(): boolean {
    return this.providers.size > 0 || this.principals !== undefined;
  }

  /** Buckets held for principals now (bounded: idle ones are dropped). */
  get principalBuckets(): number {
    return this.principals?.size ?? 0;
  }

  /**
   * Admits one call (taking a token at each level) or says which limit refuses it. `providerId`
   * and `tool` are undefined for the hangar's own tools, `principal` without authentication.
   */
  admit(providerId: string | undefined, tool: string | undefined, principal: string | undefined): RateLimitRefusal | undefined {
    const now = this.clock();
    const principalBucket = principal === undefined ? undefined : this.principals?.get(principal, now);
    const provider = providerId === undefined ? undefined : this.providers.get(providerId);
    const providerBucket = provider?.bucket;
    const toolBucket = tool === undefined ? undefined : provider?.tools.get(tool);
    if (principalBucket !== undefined && !principalBucket.hasToken(now)) {
      return refusal("principal", principal ?? "", principalBucket, now);
    }
    if (providerBucket !== undefined && !providerBucket.hasToken(now)) {
      return refusal("provider", providerId ?? "", providerBucket, now);
    }
    if (toolBucket !== undefined && !toolBucket.hasToken(now)) {
      return refusal("tool", `${providerId ?? ""}/${tool ?? ""}`, toolBucket, now);
    }
    principalBucket?.take(now);
    providerBucket?.take(now);
    toolBucket?.take(now);
    return undefined;
  }
}

function refusal(level: RateLimitLevel, subject: string, bucket: TokenBucket, now: number): RateLimitRefusal {
  return { level, subject, spec: bucket.spec, retryAfterMs: bucket.retryAfterMs(now) };
}

/** The refusal in words, for the JSON-RPC error the client gets. */
export function describeRateLimitRefusal(refusal: RateLimitRefusal): string {
  const what =
    refusal.level === "principal"
      ? `principal '${refusal.subject}' (http.auth.rate_limit)`
      : refusal.level === "provider"
        ? `provider '${refusal.subject}' (rate_limit)`
        : `tool '${refusal.subject}' (tools_rate_limit)`;
  const seconds = (refusal.retryAfterMs / 1000).toFixed(3).replace(/\.?0+$/, "");
  return `rate limit exceeded for ${what}: ${refusal.spec.rps} calls/s, burst ${refusal.spec.burst}; retry after ${seconds} s`;
}
