import type { AnyEventObject, CallbackLogicFunction } from "xstate";
import type { DiscoverySourceSpec, ProviderSpec } from "../config/types.js";

/**
 * What a discovery source actor (`discovery:<type>:<name>`, src/actors/discovery-*.ts) and the
 * discovery chart say to each other.
 */

/** Something a source found but could not use (a broken file, a pod without a port): reported, never run. */
export interface RejectedItem {
  /** A file path, a container or pod name. */
  item: string;
  message: string;
}

/** The result of one scan: what the source's backend holds now. */
export interface SourceScan {
  /**
   * Providers found; undefined when the scan failed as a whole (the last good set stays), or,
   * with no error, when the source has not finished its first listing (no sync yet).
   */
  specs: ProviderSpec[] | undefined;
  /** What failed, when something did (the whole scan, or some items). */
  error?: string;
  rejected: RejectedItem[];
}

/** Sent by a source to the discovery chart whenever what it sees changes (and after each SYNC). */
export type SourceReportEvent = { type: "SOURCE.REPORT"; sourceId: string; scan: SourceScan; syncId?: number };

/** Sent to a source: scan now and report with this syncId (registry_discover). */
export type SourceCommand = { type: "SYNC"; syncId: number };

/** A source actor's body (fromCallback's function), so a source's module can be loaded when it starts (src/actors/discovery-sources.ts). */
export type SourceBody = CallbackLogicFunction<SourceCommand, AnyEventObject, SourceInput>;

export interface SourceInput {
  source: DiscoverySourceSpec;
  /** The environment `${VAR}`s in discovered specs are read from. */
  env: NodeJS.ProcessEnv;
}

export function discoverySystemId(sourceId: string): string {
  return `discovery:${sourceId}`;
}
