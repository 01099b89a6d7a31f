import type { ProviderSpec } from "../config/types.js";
import { comparePrecedence, STATIC_SOURCE, type SourceType } from "./precedence.js";
import { isAdmitted, type Approvals, type QuarantinedProvider } from "./quarantine.js";
import { sameSpec } from "./spec-equality.js";

/**
 * The reconciler: pure logic from "what every source reports" to "what the supervisor must
 * add, replace and remove". The static config is one more source, ranked first, so a reload of
 * the main config and a discovery sync are reconciled the same way. No I/O, no clock: `now` is
 * given, and the caller applies the plan.
 */

export type SourceMode = "additive" | "authoritative";

export interface SourcePolicy {
  /** `static`, or `<type>:<name>`. */
  id: string;
  type: SourceType | typeof STATIC_SOURCE;
  /** additive only adds; authoritative also removes what the source no longer reports, after graceS. */
  mode: SourceMode;
  graceS: number;
  /** New providers wait for registry_approve. */
  quarantine: boolean;
  /** More than this many providers from one source: the rest are ignored and reported. */
  maxProviders: number;
}

export interface SourceReport {
  policy: SourcePolicy;
  /** The source's last good set (a source that fails keeps reporting its previous set). */
  specs: readonly ProviderSpec[];
  /** The last sync failed (or part of it): what it said. */
  error?: string;
}

export interface AppliedProvider {
  source: string;
  spec: ProviderSpec;
}

export interface ReconcilerState {
  /** What the supervisor runs, by provider id, and which source it came from. */
  applied: Readonly<Record<string, AppliedProvider>>;
  /** When an authoritative source stopped reporting a provider it owns (epoch ms). */
  missingSince: Readonly<Record<string, number>>;
  approvals: Approvals;
}

export interface Conflict {
  providerId: string;
  winner: string;
  loser: string;
}

export interface Removal {
  providerId: string;
  source: string;
  reason: string;
}

/**
 * A discovered provider whose id is a configured group's: it is not run, so the group keeps its
 * name (providers are routed first, and would shadow it). Reported like a refused group join.
 */
export interface GroupShadow {
  providerId: string;
  source: string;
  message: string;
}

export interface Plan {
  add: AppliedProvider[];
  update: AppliedProvider[];
  remove: Removal[];
  quarantined: QuarantinedProvider[];
  conflicts: Conflict[];
  /** Providers refused because a configured group has their id. */
  groupShadows: GroupShadow[];
  /** Sources that reported more than their maximum: what was kept. */
  truncated: { source: string; reported: number; kept: number }[];
  /** Removals waiting for their source's grace period: reconcile again at `dueAt`. */
  pending: { providerId: string; source: string; dueAt: number }[];
  state: ReconcilerState;
}

export function initialState(staticSpecs: readonly ProviderSpec[]): ReconcilerState {
  return {
    applied: Object.fromEntries(staticSpecs.map((spec) => [spec.id, { source: STATIC_SOURCE, spec }])),
    missingSince: {},
    approvals: {},
  };
}

interface Candidate {
  policy: SourcePolicy;
  spec: ProviderSpec;
}

/**
 * `groupIds`: the configured groups (`mode: group` entries of the main config). A provider a
 * source reports under one of those ids is refused (and removed if it ran), never run.
 */
export function reconcile(state: ReconcilerState, reports: readonly SourceReport[], now: number, groupIds: ReadonlySet<string> = new Set()): Plan {
  const plan: Plan = { add: [], update: [], remove: [], quarantined: [], conflicts: [], groupShadows: [], truncated: [], pending: [], state };
  const candidates = collectCandidates(reports, plan);
  const applied = new Map(Object.entries(state.applied));
  const missingSince = new Map(Object.entries(state.missingSince));

  for (const [providerId, list] of candidates) {
    if (groupIds.has(providerId)) {
      refuseShadows(providerId, list, applied, plan);
      missingSince.delete(providerId);
      continue;
    }
    list.sort((a, b) => comparePrecedence(a.policy, b.policy));
    const runningFrom = applied.get(providerId)?.source;
    let winner: Candidate | undefined;
    for (const candidate of list) {
      const admitted = isAdmitted({ source: candidate.policy.id, quarantine: candidate.policy.quarantine, providerId }, state.approvals, runningFrom);
      if (!admitted) {
        plan.quarantined.push({ providerId, source: candidate.policy.id, spec: candidate.spec });
      } else if (winner === undefined) {
        winner = candidate;
      } else {
        plan.conflicts.push({ providerId, winner: winner.policy.id, loser: candidate.policy.id });
      }
    }
    if (winner === undefined) continue;
    const next: AppliedProvider = { source: winner.policy.id, spec: winner.spec };
    const current = applied.get(providerId);
    missingSince.delete(providerId);
    applied.set(providerId, next);
    if (current === undefined) plan.add.push(next);
    else if (!sameSpec(current.spec, next.spec)) plan.update.push(next);
  }

  const policies = new Map(reports.map((report) => [report.policy.id, report]));
  for (const [providerId, current] of Object.entries(state.applied)) {
    // Every winner above got a fresh entry: an unchanged one means nobody admitted reports it now.
    if (applied.get(providerId) !== current) continue;
    const report = policies.get(current.source);
    const removal = removalFor(providerId, current, report, missingSince, now, plan);
    if (removal === undefined) continue;
    plan.remove.push(removal);
    applied.delete(providerId);
    missingSince.delete(providerId);
  }
  plan.state = { applied: Object.fromEntries(applied), missingSince: Object.fromEntries(missingSince), approvals: state.approvals };
  return plan;
}

/** Every source reporting a configured group's id is refused; one that ran under it is removed. */
function refuseShadows(groupId: string, candidates: readonly Candidate[], applied: Map<string, AppliedProvider>, plan: Plan): void {
  for (const candidate of candidates) {
    plan.groupShadows.push({
      providerId: groupId,
      source: candidate.policy.id,
      message: `provider '${groupId}' from ${candidate.policy.id} has the id of configured group '${groupId}'; it is not run, the group keeps its name (rename the provider)`,
    });
  }
  const current = applied.get(groupId);
  if (current === undefined) return;
  plan.remove.push({ providerId: groupId, source: current.source, reason: `configured group '${groupId}' has its id` });
  applied.delete(groupId);
}

/** Every source's providers by id, each source capped at its maximum. */
function collectCandidates(reports: readonly SourceReport[], plan: Plan): Map<string, Candidate[]> {
  const candidates = new Map<string, Candidate[]>();
  for (const report of reports) {
    const seen = new Set<string>();
    const specs = [...report.specs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const kept = specs.slice(0, report.policy.maxProviders);
    if (kept.length < specs.length) plan.truncated.push({ source: report.policy.id, reported: specs.length, kept: kept.length });
    for (const spec of kept) {
      if (seen.has(spec.id)) continue;
      seen.add(spec.id);
      const list = candidates.get(spec.id) ?? [];
      list.push({ policy: report.policy, spec });
      candidates.set(spec.id, list);
    }
  }
  return candidates;
}

/** Whether a provider its source no longer reports goes now, later (grace) or never (additive). */
function removalFor(
  providerId: string,
  current: AppliedProvider,
  report: SourceReport | undefined,
  missingSince: Map<string, number>,
  now: number,
  plan: Plan,
): Removal | undefined {
  if (report === undefined) return { providerId, source: current.source, reason: "its source is no longer configured" };
  if (report.policy.mode === "additive") return undefined;
  const since = missingSince.get(providerId) ?? now;
  missingSince.set(providerId, since);
  const dueAt = since + report.policy.graceS * 1000;
  if (now >= dueAt) return { providerId, source: current.source, reason: "no longer reported by its source" };
  plan.pending.push({ providerId, source: current.source, dueAt });
  return undefined;
}
