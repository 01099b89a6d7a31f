/**
 * Who wins when two sources name the same provider: the static config first, then the sources
 * in this order. The loser is reported as a conflict, never silently dropped.
 */
export const SOURCE_TYPES = ["kubernetes", "docker", "filesystem", "packages"] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** The static config behaves as the highest-ranked source (its reloads reconcile the same way). */
export const STATIC_SOURCE = "static";

const RANK: Record<SourceType | typeof STATIC_SOURCE, number> = {
  static: 0,
  kubernetes: 1,
  docker: 2,
  filesystem: 3,
  packages: 4,
};

/** Lower wins; two sources of one type are ordered by their ids, so the outcome never depends on timing. */
export function comparePrecedence(
  a: { type: SourceType | typeof STATIC_SOURCE; id: string },
  b: { type: SourceType | typeof STATIC_SOURCE; id: string },
): number {
  return RANK[a.type] - RANK[b.type] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
