import { UsageError } from "./args.js";

/**
 * `mcp-hangar audit [--provider ID] [--since 1h] [--correlation ID] [--type T] [--limit N] [--json]`
 * and `mcp-hangar audit verify`: which file to read (`--db`, else the config's audit.path, else
 * the default location) and what to show.
 */
export interface AuditFlags {
  kind: "audit";
  action: "query" | "verify";
  configPath: string | undefined;
  db: string | undefined;
  provider?: string;
  /** Epoch milliseconds. */
  sinceMs?: number;
  correlationId?: string;
  type?: string;
  limit?: number;
  json: boolean;
}

/** The parseArgs options only `audit` takes. */
export const AUDIT_OPTIONS = {
  db: { type: "string" },
  provider: { type: "string" },
  since: { type: "string" },
  correlation: { type: "string" },
  type: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
} as const;

type AuditValues = Partial<Record<"db" | "provider" | "since" | "correlation" | "type" | "limit" | "config", string>> & { json?: boolean };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `1h`, `30m`, `7d` before now, or a date/time (`2026-05-01`, ISO 8601). */
export function parseSince(text: string, now = Date.now()): number {
  const match = DURATION.exec(text.trim());
  if (match) return now - Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1_000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--since takes a duration (90s, 30m, 1h, 7d) or a date (2026-05-01T12:00:00Z), not '${text}'`);
  return at;
}

export function auditFlags(positionals: string[], values: AuditValues): AuditFlags {
  const action = positionals[1] === undefined ? "query" : positionals[1];
  if (action !== "query" && action !== "verify") throw new UsageError(`unknown audit command '${action}'; use 'mcp-hangar audit' or 'mcp-hangar audit verify'`);
  if (positionals.length > 2) throw new UsageError(`unexpected '${positionals.slice(2).join(" ")}' after 'audit ${action}'`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    limit = /^\d+$/.test(values.limit) ? Number(values.limit) : Number.NaN;
    if (!(limit > 0)) throw new UsageError(`--limit must be a positive whole number, not '${values.limit}'`);
  }
  return {
    kind: "audit",
    action,
    configPath: values.config,
    db: values.db,
    json: values.json === true,
    ...(values.provider === undefined ? {} : { provider: values.provider }),
    ...(values.since === undefined ? {} : { sinceMs: parseSince(values.since) }),
    ...(values.correlation === undefined ? {} : { correlationId: values.correlation }),
    ...(values.type === undefined ? {} : { type: values.type }),
    ...(limit === undefined ? {} : { limit }),
  };
}

/** An audit-only flag given without `audit`: said plainly rather than ignored. */
export function strayAuditFlag(values: Record<string, unknown>): string | undefined {
  return Object.keys(AUDIT_OPTIONS).find((name) => values[name] !== undefined);
}
