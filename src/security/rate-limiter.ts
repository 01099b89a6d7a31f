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
  /**
   * A provider's limits as its spec says now (undefined: none). Read at each call, so a provider
   * discovered later, or one whose spec a reload replaced, is held to its current limits.
   */
  limitsOf?: (providerId: string) => ProviderRateLimits | undefined;
  /** http.auth.rate_limit: every tools/call of one authenticated principal. */
  principal?: RateLimitSpec | undefined;
}

interface ProviderBuckets {
  /** The limits these buckets were made for: a spec with other values gets fresh buckets. */
  limits: ProviderRateLimits;
  bucket: TokenBucket | undefined;
  tools: Map<string, TokenBucket>;
}

/** Whether any limit is set (a provider without one takes no bucket and costs no bookkeeping). */
export function hasRateLimits(limits: ProviderRateLimits | undefined): limits is ProviderRateLimits {
  if (limits === undefined) return false;
  if (limits.rateLimit !== undefined) return true;
  for (const _tool in limits.toolsRateLimit) return true;
  return false;
}

/**
 * The three levels of rate limits in front of the providers. A call passes only when every level
 * that applies to it has a token, and then takes one from each — so a call refused by its tool's
 * limit does not use up its provider's. Nothing waits: a refusal says which limit and when to retry.
 * A provider's buckets follow its spec: made on its first limited call, kept while its limits keep
 * their values (a reload that changes something else keeps the tokens), made afresh when they change.
 */
export class RateLimiter {
  private readonly providers = new Map<string, ProviderBuckets>();
  private readonly principals: KeyedBuckets | undefined;
  private readonly limitsOf: (providerId: string) => ProviderRateLimits | undefined;

  constructor(
    config: RateLimiterConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.limitsOf = config.limitsOf ?? (() => undefined);
    this.principals = config.principal === undefined ? undefined : new KeyedBuckets(config.principal, clock);
  }

  /** Whether principals are limited (http.auth.rate_limit): then every call has a bucket to check. */
  get limitsPrincipals(): boolean {
    return this.principals !== undefined;
  }

  /** Buckets held for principals now (bounded: idle ones are dropped). */
  get principalBuckets(): number {
    return this.principals?.size ?? 0;
  }

  /**
   * Admits one call (taking a token at each level) or says which limit refuses it. `providerId`
   * and `tool` are undefined for the hangar's own tools, `principal` without authentication.
   * `limits` are the provider's current ones (default: asked of `limitsOf`).
   */
  admit(
    providerId: string | undefined,
    tool: string | undefined,
    principal: string | undefined,
    limits: ProviderRateLimits | undefined = providerId === undefined ? undefined : this.limitsOf(providerId),
  ): RateLimitRefusal | undefined {
    const now = this.clock();
    const principalBucket = principal === undefined ? undefined : this.principals?.get(principal, now);
    const provider = providerId === undefined ? undefined : this.bucketsOf(providerId, limits, now);
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

  private bucketsOf(providerId: string, limits: ProviderRateLimits | undefined, now: number): ProviderBuckets | undefined {
    if (!hasRateLimits(limits)) return undefined;
    const current = this.providers.get(providerId);
    if (current !== undefined && (current.limits === limits || sameLimits(current.limits, limits))) {
      current.limits = limits;
      return current;
    }
    const tools = new Map<string, TokenBucket>();
    for (const [tool, spec] of Object.entries(limits.toolsRateLimit ?? {})) tools.set(tool, new TokenBucket(spec, now));
    const buckets = { limits, bucket: limits.rateLimit === undefined ? undefined : new TokenBucket(limits.rateLimit, now), tools };
    this.providers.set(providerId, buckets);
    return buckets;
  }
}

function sameSpec(a: RateLimitSpec | undefined, b: RateLimitSpec | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.rps === b.rps && a.burst === b.burst);
}

function sameLimits(a: ProviderRateLimits, b: ProviderRateLimits): boolean {
  if (!sameSpec(a.rateLimit, b.rateLimit)) return false;
  const toolsA = Object.entries(a.toolsRateLimit ?? {});
  const toolsB = b.toolsRateLimit ?? {};
  return toolsA.length === Object.keys(toolsB).length && toolsA.every(([tool, spec]) => sameSpec(spec, toolsB[tool]));
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
