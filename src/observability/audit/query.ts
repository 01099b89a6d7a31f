import { ROW_COLUMNS, type ChainedRow } from "./row.js";
import type { AuditDatabase } from "./store.js";

/**
 * Reading the trail back: filters map to indexed columns; the newest `limit` matches come back
 * oldest first, as a person reads a log.
 */
export interface AuditFilter {
  provider?: string;
  /** Epoch milliseconds: events at or after. */
  sinceMs?: number;
  correlationId?: string;
  /** An event type (`ProviderStopped`), or a prefix ending in `*` (`Circuit*`). */
  type?: string;
  /** The hangar (config file path) that wrote them. */
  source?: string;
  /** The newest this many (default: all). */
  limit?: number;
  /** Only these types. */
  types?: readonly string[];
}

/** An event as queries return it: the row's columns, its time in ISO form, and the parsed payload. */
export type AuditEvent = Omit<ChainedRow, "payload" | "prevHash" | "hash"> & {
  time: string;
  data: Record<string, unknown>;
};

/** The filters that map straight to one indexed condition. */
const EQUALITIES = [
  ["provider", "provider = @provider"],
  ["sinceMs", "ts >= @sinceMs"],
  ["correlationId", "correlation_id = @correlationId"],
  ["source", "source = @source"],
] as const satisfies readonly (readonly [keyof AuditFilter, string])[];

export function queryEvents(db: AuditDatabase, filter: AuditFilter = {}): AuditEvent[] {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [key, condition] of EQUALITIES) {
    const value = filter[key];
    if (value === undefined) continue;
    where.push(condition);
    params[key] = value;
  }
  if (filter.type !== undefined) {
    if (filter.type.endsWith("*")) {
      where.push("type GLOB @type");
      params.type = `${filter.type.slice(0, -1).replace(/[[\]*?]/g, "")}*`;
    } else {
      where.push("type = @type");
      params.type = filter.type;
    }
  }
  if (filter.types !== undefined) {
    const names = filter.types.map((_, index) => `@t${index}`);
    where.push(`type IN (${names.join(", ")})`);
    filter.types.forEach((type, index) => (params[`t${index}`] = type));
  }
  const clause = where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
  const limit = filter.limit === undefined ? "" : `LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
  const rows = db.prepare(`SELECT ${ROW_COLUMNS} FROM events ${clause} ORDER BY id DESC ${limit}`).all(params) as ChainedRow[];
  return rows.reverse().map(toEvent);
}

function toEvent(row: ChainedRow): AuditEvent {
  return {
    id: row.id,
    time: new Date(row.ts).toISOString(),
    ts: row.ts,
    instance: row.instance,
    seq: row.seq,
    source: row.source,
    systemId: row.systemId,
    type: row.type,
    provider: row.provider,
    correlationId: row.correlationId,
    principal: row.principal,
    data: parsePayload(row.payload),
  };
}

function parsePayload(payload: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(payload);
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : { value };
  } catch {
    return { unparsable: payload };
  }
}
