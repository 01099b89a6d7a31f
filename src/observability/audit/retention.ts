import { COUNTERS_SELECT, DECISIVE_SELECT, lastErrorOf, type CounterRow, type DecisiveRow } from "./replay.js";
import type { AuditDatabase } from "./store.js";

/**
 * Retention: events older than `audit.retention_days` are deleted, oldest first, as one
 * contiguous run of rows — and the chain stays verifiable: the hash of the last pruned row is
 * kept in `chain_anchor`, and the first remaining row must chain to it. What replay needs of the
 * pruned rows (counters, last error) is folded into `pruned_counters` in the same transaction.
 */
export interface PruneResult {
  pruned: number;
  /** The id of the last pruned row (the anchor), when something was pruned. */
  through: number | undefined;
}

const DAY_MS = 86_400_000;

export function pruneOlderThan(db: AuditDatabase, retentionDays: number, now = Date.now()): PruneResult {
  const cutoff = now - retentionDays * DAY_MS;
  const run = db.transaction((): PruneResult => {
    // A contiguous prefix: everything before the first row that is still young enough (two hangars
    // sharing the file interleave batches, so time is not strictly ordered by id).
    const firstKept = db.prepare("SELECT MIN(id) FROM events WHERE ts >= ?").pluck().get(cutoff) as number | null;
    const through = firstKept === null ? (db.prepare("SELECT MAX(id) FROM events").pluck().get() as number | null) : firstKept - 1;
    if (through === null || through <= 0) return { pruned: 0, through: undefined };
    const last = db.prepare("SELECT hash FROM events WHERE id <= ? ORDER BY id DESC LIMIT 1").pluck().get(through) as string | undefined;
    if (last === undefined) return { pruned: 0, through: undefined };
    foldCounters(db, through);
    const { changes } = db.prepare("DELETE FROM events WHERE id <= ?").run(through);
    db.prepare(
      `INSERT INTO chain_anchor (id, pruned_through, last_hash, pruned_rows, pruned_at) VALUES (1, @through, @hash, @rows, @now)
       ON CONFLICT (id) DO UPDATE SET pruned_through = @through, last_hash = @hash, pruned_rows = pruned_rows + @rows, pruned_at = @now`,
    ).run({ through, hash: last, rows: changes, now });
    return { pruned: changes, through };
  });
  return run.immediate();
}

function foldCounters(db: AuditDatabase, through: number): void {
  const counters = db
    .prepare(`${COUNTERS_SELECT} WHERE id <= ? AND provider IS NOT NULL GROUP BY source, provider`)
    .all(through) as CounterRow[];
  const decisive = db.prepare(DECISIVE_SELECT);
  const upsert = db.prepare(
    `INSERT INTO pruned_counters (source, provider, calls, failures, starts, restarts, last_call_at, last_error)
     VALUES (@source, @provider, @calls, @failures, @starts, @restarts, @lastCallAt, @lastError)
     ON CONFLICT (source, provider) DO UPDATE SET
       calls = calls + @calls, failures = failures + @failures, starts = starts + @starts, restarts = restarts + @restarts,
       last_call_at = MAX(COALESCE(last_call_at, 0), COALESCE(@lastCallAt, 0)),
       last_error = CASE WHEN @decided THEN @lastError ELSE last_error END`,
  );
  for (const row of counters) {
    const last = decisive.get({ source: row.source, provider: row.provider, through }) as DecisiveRow | undefined;
    const lastError = last === undefined ? undefined : lastErrorOf(last);
    upsert.run({
      ...row,
      lastError: lastError === undefined ? null : JSON.stringify(lastError),
      decided: last === undefined ? 0 : 1,
    });
  }
}
