import { createHash } from "node:crypto";

/**
 * Flat tool names: every provider tool is also listed as `<provider>__<tool>`. Clients accept
 * only `^[a-zA-Z0-9_-]{1,64}$`, so a name that is too long or has other characters becomes its
 * first 55 valid characters, `_`, and 8 hex digits of sha256(provider, tool): stable across
 * restarts and unique in practice. registry_tools shows the mapping.
 */
export const FLAT_NAME_SEPARATOR = "__";
const VALID_FLAT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const KEPT_PREFIX_LENGTH = 55;

export function flatToolName(providerId: string, toolName: string): string {
  const plain = `${providerId}${FLAT_NAME_SEPARATOR}${toolName}`;
  if (VALID_FLAT_NAME.test(plain)) return plain;
  const prefix = plain.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, KEPT_PREFIX_LENGTH);
  const digest = createHash("sha256").update(`${providerId}\0${toolName}`).digest("hex").slice(0, 8);
  return `${prefix}_${digest}`;
}
