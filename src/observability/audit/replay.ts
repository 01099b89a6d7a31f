import type { FailureKind } from "../../shared/failure-kind.js";
import type { ProviderError, ProviderRecord } from "../../machines/provider-types.js";
import type { AuditDatabase } from "./store.js";

/**
 * Replay at start-up: each provider's counters (calls, failures, starts, restarts, last call,
 * last error) rebuilt from the events this hangar (its config file: `source`) stored before,
 * plus what retention folded into `pruned_counters`. The rules are the provider chart's own:
 * - a call counts when it reached the provider: ToolInvocationCompleted, or ToolInvocationFailed
 *   without a `stage`;
 * - a failure is such a call that was not cancelled, or a call failed while queued;
 * - refused calls (breaker OPEN, RECOVERING, DEAD) count as neither;
 * - the last error is set by a crash or failed start (ProviderStopped with a `kind`) or by giving
 *   up (ProviderDied), and cleared by a successful start (ProviderStarted).
 * Aggregates run in SQL over the indexes, so start-up does not parse every stored event.
 */
const REACHED = "(type = 'ToolInvocationCompleted' OR (type = 'ToolInvocationFailed' AND json_extract(payload, '$.stage') IS NULL))";
const FAILED =
  "(type = 'ToolInvocationFailed' AND ((json_extract(payload, '$.stage') IS NULL AND json_extract(payload, '$.kind') <> 'cancelled') OR json_extract(payload, '$.stage') = 'queued'))";

export const COUNTERS_SELECT = `SELECT source, provider,
    SUM(CASE WHEN ${REACHED} THEN 1 ELSE 0 END) AS calls,
    SUM(CASE WHEN ${FAILED} THEN 1 ELSE 0 END) AS failures,
    SUM(CASE WHEN type = 'ProviderStarted' THEN 1 ELSE 0 END) AS starts,
    SUM(CASE WHEN type = 'ProviderRestarted' THEN 1 ELSE 0 END) AS restarts,
    MAX(CASE WHEN ${REACHED} THEN ts END) AS lastCallAt
  FROM events`;

/** The newest event that decides a provider's last error, among rows up to `@through`. */
export const DECISIVE_SELECT = `SELECT type, ts, payload FROM events
  WHERE source = @source AND provider = @provider AND id <= @through
    AND (type IN ('ProviderStarted', 'ProviderDied') OR (type = 'ProviderStopped' AND json_extract(payload, '$.kind') IS NOT NULL))
  ORDER BY id DESC LIMIT 1`;

export interface CounterRow {
  source: string;
  provider: string;
  calls: number;
  failures: number;
  starts: number;
  restarts: number;
  lastCallAt: number | null;
}

export interface DecisiveRow {
  type: string;
  ts: number;
  payload: string;
}

/** The last error a decisive event leaves (undefined: a successful start cleared it). */
export function lastErrorOf(row: DecisiveRow): ProviderError | undefined {
  const data = JSON.parse(row.payload) as { kind?: string; message?: string; reason?: string };
  if (row.type === "ProviderDied") return { kind: "unavailable", message: data.reason ?? "gave up", at: row.ts };
  if (row.type === "ProviderStopped") return { kind: (data.kind ?? "crash") as FailureKind, message: data.message ?? "stopped", at: row.ts };
  return undefined;
}

interface PrunedRow extends CounterRow {
  lastError: string | null;
}

export function replayProviders(db: AuditDatabase, source: string, providerIds: readonly string[]): Record<string, ProviderRecord> {
  const wanted = new Set(providerIds);
  const live = new Map(
    (db.prepare(`${COUNTERS_SELECT} WHERE source = ? AND provider IS NOT NULL GROUP BY provider`).all(source) as CounterRow[]).map((row) => [
      row.provider,
      row,
    ]),
  );
  const pruned = new Map(
    (
      db
        .prepare(
          "SELECT provider, calls, failures, starts, restarts, last_call_at AS lastCallAt, last_error AS lastError FROM pruned_counters WHERE source = ?",
        )
        .all(source) as PrunedRow[]
    ).map((row) => [row.provider, row]),
  );
  const decisive = db.prepare(DECISIVE_SELECT);
  const records: Record<string, ProviderRecord> = {};
  for (const provider of wanted) {
    const now = live.get(provider);
    const before = pruned.get(provider);
    if (now === undefined && before === undefined) continue;
    const lastDecisive = decisive.get({ source, provider, through: Number.MAX_SAFE_INTEGER }) as DecisiveRow | undefined;
    const lastError =
      lastDecisive !== undefined
        ? lastErrorOf(lastDecisive)
        : before?.lastError === null || before?.lastError === undefined
          ? undefined
          : (JSON.parse(before.lastError) as ProviderError);
    const lastCallAt = Math.max(now?.lastCallAt ?? 0, before?.lastCallAt ?? 0);
    records[provider] = {
      stats: {
        calls: (now?.calls ?? 0) + (before?.calls ?? 0),
        failures: (now?.failures ?? 0) + (before?.failures ?? 0),
        starts: (now?.starts ?? 0) + (before?.starts ?? 0),
        lastCallAt: lastCallAt === 0 ? undefined : lastCallAt,
      },
      lastError,
      restartCount: (now?.restarts ?? 0) + (before?.restarts ?? 0),
    };
  }
  return records;
}
