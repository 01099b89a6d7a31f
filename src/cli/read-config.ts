import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { HangarConfig } from "../config/types.js";

/** "1 provider", "2 providers": the count in the start-up line and validate's answer. */
export function providerCount(count: number): string {
  return count === 1 ? "1 provider" : `${count} providers`;
}

/** The config at `path`, or undefined once its problems are printed on stderr. */
export function readConfig(path: string): HangarConfig | undefined {
  try {
    return loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`mcp-hangar: invalid config\n${error.format()}`);
      return undefined;
    }
    throw error;
  }
}
