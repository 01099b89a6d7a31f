import { ConfigError } from "../config/errors.js";
import { findConfigFile } from "../config/find.js";
import { loadConfig } from "../config/load.js";
import type { HangarConfig } from "../config/types.js";
import { NO_CONFIG_HELP } from "./usage.js";

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

/**
 * The config a command names, or the one found from the working directory (serve and validate
 * alike); otherwise the exit code once the problem is printed: 2 when there is none, 1 when it is
 * invalid.
 */
export function commandConfig(named: string | undefined): { path: string; config: HangarConfig } | number {
  const path = named ?? findConfigFile(process.cwd(), process.env);
  if (path === undefined) {
    console.error(NO_CONFIG_HELP);
    return 2;
  }
  const config = readConfig(path);
  return config === undefined ? 1 : { path, config };
}
