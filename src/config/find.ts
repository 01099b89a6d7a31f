import { statSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

/**
 * Where the hangar looks for its config when none is given: the project's own `hangar.yaml`
 * first, then the user's config folder. XDG rules apply: $XDG_CONFIG_HOME replaces ~/.config
 * when set to an absolute path (a relative or empty value is ignored, as the spec says).
 */
export function configCandidates(cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const xdg = env.XDG_CONFIG_HOME;
  const configHome = xdg !== undefined && xdg !== "" && isAbsolute(xdg) ? xdg : join(homeOf(env), ".config");
  return [resolve(cwd, "hangar.yaml"), join(configHome, "mcp-hangar", "config.yaml")];
}

/** The first existing candidate, or undefined. */
export function findConfigFile(cwd: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return configCandidates(cwd, env).find(isFile);
}

function homeOf(env: NodeJS.ProcessEnv): string {
  const home = env.HOME;
  return home !== undefined && home !== "" ? home : homedir();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
