import { chainHashOf, GENESIS_HASH } from "./chain.js";
import { ROW_COLUMNS, type ChainedRow } from "./row.js";
import { hasChainVersion, readAnchor, type AuditDatabase } from "./store.js";

/**
 * Walks the chain from its start (the genesis hash, or the anchor retention left) to the last
 * row, recomputing every hash, and stops at the first row that does not fit: its content was
 * changed (its hash no longer matches), or the row before it is not the one it was chained to
 * (a row was deleted, inserted or moved). Each row is hashed in the form it says it was written
 * in (chain.ts); a file no writer of this build has opened has no such column: all form 1.
 */
export type VerifyResult =
  | { ok: true; rows: number; firstId: number | undefined; lastId: number | undefined; anchoredAt: number | undefined }
  | { ok: false; rows: number; brokenId: number; reason: string };

export function verifyChain(db: AuditDatabase): VerifyResult {
  const anchor = readAnchor(db);
  let expectedPrev = anchor?.lastHash ?? GENESIS_HASH;
  let previousId: number | undefined;
  let firstId: number | undefined;
  let rows = 0;
  const version = hasChainVersion(db) ? "chain_version" : "NULL";
  const iterate = db.prepare(`SELECT ${ROW_COLUMNS}, ${version} AS chainVersion FROM events ORDER BY id`).iterate() as IterableIterator<
    ChainedRow & { chainVersion: unknown }
  >;
  for (const row of iterate) {
    firstId ??= row.id;
    if (row.prevHash !== expectedPrev) {
      const before = previousId === undefined ? (anchor === undefined ? "the start of the chain" : `the pruning anchor (row ${anchor.prunedThrough})`) : `row ${previousId}`;
      return {
        ok: false,
        rows,
        brokenId: row.id,
        reason: `row ${row.id} is not chained to ${before}: a row before it was deleted, inserted or moved`,
      };
    }
    const hash = chainHashOf(row.chainVersion, row.prevHash, row);
    if (hash === undefined) {
      return { ok: false, rows, brokenId: row.id, reason: `row ${row.id} names a chain form this build does not know (chain_version ${String(row.chainVersion)})` };
    }
    if (hash !== row.hash) {
      return { ok: false, rows, brokenId: row.id, reason: `row ${row.id} does not match its hash: its content was changed` };
    }
    expectedPrev = row.hash;
    previousId = row.id;
    rows += 1;
  }
  return { ok: true, rows, firstId, lastId: previousId, anchoredAt: anchor?.prunedThrough };
}
