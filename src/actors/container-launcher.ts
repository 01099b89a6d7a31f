import type { ProviderSpec } from "../config/types.js";
import type { Logger } from "../observability/log.js";
import type { ProcessLauncher } from "./provider-process.js";

/** Placeholder until container providers run (the config refuses mode: container meanwhile). */
export function containerLauncher(spec: ProviderSpec, _log?: Logger): ProcessLauncher {
  return {
    description: `provider "${spec.id}"`,
    launch: () => {
      throw new Error("container providers are not available yet");
    },
    terminate: () => Promise.resolve(),
  };
}
