import type { ProviderSpec } from "../config/types.js";

/** Whether two specs would run the same provider: a reload restarts only what this says changed. */
export function sameSpec(a: ProviderSpec, b: ProviderSpec): boolean {
  return stableJson(a) === stableJson(b);
}

/** JSON with object keys sorted, so key order (YAML vs package.json vs labels) never counts as a change. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.entries(inner).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  });
}
