import type { ProviderSpec } from "../config/types.js";

/**
 * Quarantine: a source with `quarantine: true` reports providers that do not run until a person
 * approves them (registry_approve). An approval is for one provider id from one source; a
 * provider already running from that source stays admitted.
 */
export interface QuarantinedProvider {
  providerId: string;
  source: string;
  spec: ProviderSpec;
}

/** Approved provider ids, each for the source it was approved from. */
export type Approvals = Readonly<Record<string, string>>;

export function isAdmitted(
  candidate: { source: string; quarantine: boolean; providerId: string },
  approvals: Approvals,
  runningFrom: string | undefined,
): boolean {
  if (!candidate.quarantine) return true;
  return approvals[candidate.providerId] === candidate.source || runningFrom === candidate.source;
}

/** Approves a quarantined provider; undefined when nothing by that id waits for approval. */
export function approve(approvals: Approvals, quarantined: readonly QuarantinedProvider[], providerId: string): Approvals | undefined {
  const waiting = quarantined.find((item) => item.providerId === providerId);
  if (waiting === undefined) return undefined;
  return { ...approvals, [providerId]: waiting.source };
}
