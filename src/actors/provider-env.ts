import type { SubprocessProviderSpec } from "../config/types.js";

/**
 * What a provider may see of the hangar's own environment by default: enough to find programs,
 * write temp files and format text, and nothing that could carry a credential. A provider that
 * needs more gets it by name in its config `env`, or all of it with `inheritEnv`.
 */
export const INHERITED_ENV_ALLOW_LIST: readonly string[] = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"];

/** The complete environment of a provider process: config `env` always wins over inherited values. */
export function providerEnv(
  spec: Pick<SubprocessProviderSpec, "env" | "inheritEnv">,
  hangarEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (spec.inheritEnv) {
    for (const [key, value] of Object.entries(hangarEnv)) {
      if (value !== undefined) env[key] = value;
    }
  } else {
    for (const key of INHERITED_ENV_ALLOW_LIST) {
      const value = hangarEnv[key];
      if (value !== undefined) env[key] = value;
    }
  }
  return Object.assign(env, spec.env);
}
