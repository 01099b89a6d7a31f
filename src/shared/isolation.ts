import type { ContainerIsolationSpec } from "../config/types.js";

/**
 * The isolation keys a container provider's config loosened, as `key: value` — what
 * registry_details shows, so nobody has to read the config to know a provider is less fenced in.
 */
export function loosenedIsolation(isolation: ContainerIsolationSpec): string[] {
  const loosened: string[] = [];
  if (isolation.network !== "none") loosened.push(`network: ${isolation.network}`);
  if (!isolation.readOnly) loosened.push("read_only: false");
  if (isolation.capAdd.length > 0) loosened.push(`cap_add: [${isolation.capAdd.join(", ")}]`);
  if (isolation.allowSensitiveMounts) loosened.push("allow_sensitive_mounts: true");
  return loosened;
}
