import type { DiscoverySourceSpec, ProviderSpec } from "../config/types.js";
import { STATIC_SOURCE } from "./precedence.js";
import type { AppliedProvider, Conflict, Plan, Removal, SourcePolicy, SourceReport } from "./reconciler.js";
import type { QuarantinedProvider } from "./quarantine.js";
import type { RejectedItem, SourceScan } from "./source-protocol.js";

/** What the discovery chart remembers of each source, and what the registry tools show of it. */
export interface SourceStatus {
  /** The last good set (kept while the source fails). */
  specs: ProviderSpec[] | undefined;
  error: string | undefined;
  rejected: RejectedItem[];
  lastSyncAt: number | undefined;
  lastErrorAt: number | undefined;
}

export function emptyStatus(): SourceStatus {
  return { specs: undefined, error: undefined, rejected: [], lastSyncAt: undefined, lastErrorAt: undefined };
}

/**
 * A scan folded into the status: a failed scan keeps the last good set. A scan with neither
 * specs nor an error is a source still listing (a Kubernetes namespace between its list and its
 * watch): no sync yet, so the source stays "waiting" instead of reading "ok" with no providers.
 */
export function withScan(status: SourceStatus, scan: SourceScan, now: number): SourceStatus {
  const stillListing = scan.specs === undefined && scan.error === undefined;
  return {
    specs: scan.specs ?? status.specs,
    error: scan.error,
    rejected: scan.rejected,
    lastSyncAt: stillListing ? status.lastSyncAt : now,
    lastErrorAt: scan.error === undefined ? status.lastErrorAt : now,
  };
}

export function policyOf(source: DiscoverySourceSpec): SourcePolicy {
  return {
    id: source.id,
    type: source.type,
    mode: source.mode,
    graceS: source.graceS,
    quarantine: source.quarantine,
    maxProviders: source.maxProviders,
  };
}

export const STATIC_POLICY: SourcePolicy = {
  id: STATIC_SOURCE,
  type: STATIC_SOURCE,
  mode: "authoritative",
  graceS: 0,
  quarantine: false,
  maxProviders: Number.POSITIVE_INFINITY,
};

/**
 * Every source's report for the reconciler. A source that has not reported yet keeps what it
 * already runs (after a reload that restarted it), like a source that fails.
 */
export function reportsFor(
  staticSpecs: ProviderSpec[],
  sources: readonly DiscoverySourceSpec[],
  statuses: Readonly<Record<string, SourceStatus>>,
  applied: Readonly<Record<string, AppliedProvider>>,
): SourceReport[] {
  const reports: SourceReport[] = [{ policy: STATIC_POLICY, specs: staticSpecs }];
  for (const source of sources) {
    const status = statuses[source.id];
    const specs = status?.specs ?? Object.values(applied).filter((item) => item.source === source.id).map((item) => item.spec);
    reports.push({ policy: policyOf(source), specs, ...(status?.error === undefined ? {} : { error: status.error }) });
  }
  return reports;
}

/** What one round of reconciling changed, by provider id (registry_discover, ConfigReloaded). */
export interface ChangeSummary {
  added: { provider: string; source: string }[];
  updated: { provider: string; source: string }[];
  removed: { provider: string; source: string; reason: string }[];
}

export function emptySummary(): ChangeSummary {
  return { added: [], updated: [], removed: [] };
}

export function summarize(summary: ChangeSummary, plan: Plan): ChangeSummary {
  const entry = (item: AppliedProvider) => ({ provider: item.spec.id, source: item.source });
  const removal = (item: Removal) => ({ provider: item.providerId, source: item.source, reason: item.reason });
  return {
    added: [...summary.added, ...plan.add.map(entry)],
    updated: [...summary.updated, ...plan.update.map(entry)],
    removed: [...summary.removed, ...plan.remove.map(removal)],
  };
}

/** registry_discover's answer. */
export interface DiscoverResult extends ChangeSummary {
  quarantined: { provider: string; source: string }[];
  conflicts: Conflict[];
  /** Providers that named a group id that is a provider's: they run on their own (docs/groups.md). */
  group_conflicts: { provider: string; group: string; message: string }[];
  errors: { source: string; message: string }[];
}

/** registry_sources' entry for one source. */
export interface SourceView {
  source: string;
  type: string;
  mode: string;
  grace_s: number;
  quarantine: boolean;
  max_providers: number;
  health: "ok" | "error" | "waiting";
  last_sync: string | undefined;
  providers: number;
  last_error: string | undefined;
  rejected: RejectedItem[];
  /** Set when the source reported more than max_providers. */
  truncated?: string;
}

export function quarantineView(items: readonly QuarantinedProvider[]): { provider: string; source: string }[] {
  return items.map((item) => ({ provider: item.providerId, source: item.source }));
}
