import type { ProviderTarget } from "../machines/provider-target.js";

/** registry_details' mode-specific keys (snake_case, like the config): image and isolation, or URL. */
export function targetDetails(target: ProviderTarget): Record<string, unknown> {
  switch (target.mode) {
    case "subprocess":
      return { cwd: target.cwd };
    case "container": {
      const { isolation } = target;
      return {
        image: target.image,
        isolation: {
          network: isolation.network,
          read_only: isolation.readOnly,
          cap_add: isolation.capAdd,
          memory_bytes: isolation.memoryBytes,
          cpus: isolation.cpus,
          pids: isolation.pids,
          // Empty: the defaults (no network, read-only root, no capabilities) hold.
          loosened: isolation.loosened,
        },
      };
    }
    case "remote":
      return { url: target.url, transport: target.transport, header_names: target.headerNames };
  }
}
