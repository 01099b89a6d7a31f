import type { Tool } from "@modelcontextprotocol/sdk/types.js";

/**
 * The validated, defaults-applied configuration the rest of the hangar works with. The zod
 * schema in schema.ts produces exactly these shapes; nothing downstream re-reads YAML.
 */
export type ExposeMode = "both" | "registry" | "tools";

/** A tool listed before its provider ever starts. */
export type PredefinedTool = Pick<Tool, "name" | "description" | "inputSchema" | "outputSchema" | "annotations">;

export interface SubprocessProviderSpec {
  id: string;
  mode: "subprocess";
  /** argv; never run through a shell. */
  command: string[];
  /** Interpolated env values given to the provider (secrets: registered with the redactor). */
  env: Record<string, string>;
  /** Pass the hangar's whole environment instead of the small allow-list. */
  inheritEnv: boolean;
  /** Absolute working directory (default: the config file's folder). */
  cwd: string;
  idleTtlS: number;
  healthCheckIntervalS: number;
  maxConsecutiveFailures: number;
  startupTimeoutS: number;
  callTimeoutS: number;
  /** Grace period between SIGTERM and SIGKILL of the process group. */
  shutdownGraceS: number;
  tools: PredefinedTool[];
  warm: boolean;
  description?: string;
}

/** Only subprocess providers run for now; other modes are refused at validation. */
export type ProviderSpec = SubprocessProviderSpec;

export interface HangarConfig {
  /** Absolute path of the file this came from (for messages). */
  source: string;
  expose: ExposeMode;
  providers: ProviderSpec[];
}
