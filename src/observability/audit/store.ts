import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { stateDir } from "../../actors/pgid-state.js";
import { CHAIN_VERSION, chainHash, GENESIS_HASH } from "./chain.js";
import type { AuditRow } from "./row.js";

/**
 * The audit trail's SQLite file: one append-only `events` table (indexed by provider,
 * correlation id and time), the chain anchor left by retention pruning, and the counters of
 * pruned rows (so replay still adds up). WAL mode: readers (the CLI, registry_history) never
 * block the writer. Appends run in BEGIN IMMEDIATE transactions that read the last hash inside
 * the transaction, so two hangars sharing one file extend one chain and never fork it.
 *
 * Each row says which form of the chain's hashed content it was written in (`chain_version`,
 * chain.ts): NULL in rows written before the column existed (form 1), which is what an older
 * hangar sharing the file still writes, so a file holding both verifies. A file made before the
 * column gets it when a writer opens it (ALTER TABLE … ADD COLUMN: no row is rewritten).
 *
 * A new file's table has no AUTOINCREMENT: SQLite gives each row one past the last row's id
 * without reading and rewriting `sqlite_sequence` on every INSERT (≈ 2,000 of its ≈ 18,000
 * instructions per row, callgrind). What AUTOINCREMENT added — an id is never used twice, even
 * once retention pruned every row — the store keeps: the first row into an empty table after
 * pruning is given the id after the pruned ones. A file made with AUTOINCREMENT keeps it
 * (changing it would rewrite the table); the ids are the same either way.
 */
export type AuditDatabase = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  instance TEXT NOT NULL,
  seq INTEGER NOT NULL,
  source TEXT NOT NULL,
  system_id TEXT NOT NULL,
  type TEXT NOT NULL,
  provider TEXT,
  correlation_id TEXT,
  principal TEXT,
  payload TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  chain_version INTEGER
);
CREATE INDEX IF NOT EXISTS events_by_provider ON events (provider, id);
CREATE INDEX IF NOT EXISTS events_by_correlation ON events (correlation_id);
CREATE INDEX IF NOT EXISTS events_by_time ON events (ts);
CREATE TABLE IF NOT EXISTS chain_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pruned_through INTEGER NOT NULL,
  last_hash TEXT NOT NULL,
  pruned_rows INTEGER NOT NULL,
  pruned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pruned_counters (
  source TEXT NOT NULL,
  provider TEXT NOT NULL,
  calls INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  starts INTEGER NOT NULL,
  restarts INTEGER NOT NULL,
  last_call_at INTEGER,
  last_error TEXT,
  PRIMARY KEY (source, provider)
);
`;

/** How long a reader (the CLI) waits for a lock. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * The writer never waits for another hangar's transaction: better-sqlite3 is synchronous, and
 * SQLite's busy handler sleeps on the event loop. A busy file refuses the batch at once and the
 * writer tries again a moment later (see writer.ts).
 */
const WRITER_BUSY_TIMEOUT_MS = 0;

/**
 * The writer's page cache, in KiB (SQLite's default in better-sqlite3's build is 16 MB). Appends
 * touch the table's last page and one leaf of each index — the correlation index's at random —
 * so a full-size cache would only fill up, page by page, with index leaves of an ever larger file
 * (a long-running hangar's resident memory creeping up by 16 MB). The OS keeps the file cached.
 */
export const WRITER_CACHE_KIB = 2_048;

/**
 * The page size of a new file (SQLite's default is 4 KiB; an existing file keeps its own). A
 * batch appends to the table and its three indexes; each commit writes every page it changed to
 * the WAL, a frame with its checksum per page: with 16 KiB pages a quarter of the frames (and of
 * the b-tree page splits), ≈ 0.6 µs less CPU per row, for the same rows.
 */
const NEW_FILE_PAGE_BYTES = 16_384;
/** The WAL is checkpointed into the file once it holds this much (SQLite's default: 1000 pages of 4 KiB). */
const WAL_CHECKPOINT_BYTES = 4_096_000;

/** SQLite's "another connection holds the lock" codes: a retry later succeeds, nothing is wrong. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || (typeof code === "string" && code.startsWith("SQLITE_BUSY_"));
}

/** `$XDG_STATE_HOME/mcp-hangar/audit.db` (or `$MCP_HANGAR_STATE_DIR/audit.db`, as the process-group records). */
export function defaultAuditPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), "audit.db");
}

export interface AnchorRow {
  prunedThrough: number;
  lastHash: string;
  prunedRows: number;
  prunedAt: number;
}

export function readAnchor(db: AuditDatabase): AnchorRow | undefined {
  return db
    .prepare("SELECT pruned_through AS prunedThrough, last_hash AS lastHash, pruned_rows AS prunedRows, pruned_at AS prunedAt FROM chain_anchor WHERE id = 1")
    .get() as AnchorRow | undefined;
}

/** Opens (creating when needed) an audit database; `readonly` for the CLI's queries on an existing file. */
export function openAuditDatabase(path: string, options: { readonly?: boolean } = {}): AuditDatabase {
  if (options.readonly === true) {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  }
  const isNew = path !== ":memory:" && !existsSync(path);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { timeout: WRITER_BUSY_TIMEOUT_MS });
  // Who called what is nobody else's business: owner-only, like the key (SQLite gives -wal and -shm the same mode).
  if (isNew) chmodSync(path, 0o600);
  // Setting up the file (WAL, schema) may wait for another hangar; appends never do.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Before anything is written: only an empty file takes a page size.
  if (isNew) db.pragma(`page_size = ${NEW_FILE_PAGE_BYTES}`);
  db.pragma("journal_mode = WAL");
  // The same WAL size whatever the file's page size.
  db.pragma(`wal_autocheckpoint = ${Math.round(WAL_CHECKPOINT_BYTES / (db.pragma("page_size", { simple: true }) as number))}`);
  // With WAL, NORMAL survives a process crash (kill -9) with every committed batch; only a power
  // loss may drop the last one — never a corrupt file.
  db.pragma("synchronous = NORMAL");
  db.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
  db.exec(SCHEMA);
  addChainVersion(db);
  db.pragma(`busy_timeout = ${WRITER_BUSY_TIMEOUT_MS}`);
  return db;
}

/** Whether `events` has the chain_version column (a file made before it has not, until a writer opens it). */
export function hasChainVersion(db: AuditDatabase): boolean {
  return (db.pragma("table_info(events)") as { name: string }[]).some((column) => column.name === "chain_version");
}

/** A file made before chain_version gets it, NULL in every row so far (form 1); in a transaction, as another hangar may be opening it too. */
function addChainVersion(db: AuditDatabase): void {
  if (hasChainVersion(db)) return;
  db.transaction(() => {
    if (!hasChainVersion(db)) db.exec("ALTER TABLE events ADD COLUMN chain_version INTEGER");
  }).immediate();
}

/** Hands each row of a batch to `emit`, in order; a batch's rows may be made while they are written (AuditStore.appendEach). */
export type RowSource = (emit: (row: AuditRow) => void) => void;

/** What one append wrote: how many rows, and the last of them. */
export interface Appended {
  count: number;
  last: AuditRow | undefined;
}

/** Appends rows at the end of the chain: one BEGIN IMMEDIATE transaction per batch. */
export class AuditStore {
  private readonly lastHash;
  private readonly insert;
  private readonly insertAt;
  private readonly appendBatch;

  constructor(readonly db: AuditDatabase) {
    this.lastHash = db.prepare("SELECT hash FROM events ORDER BY id DESC LIMIT 1").pluck();
    // Positional parameters: no per-row object to build on the writer's path.
    const columns = "ts, instance, seq, source, system_id, type, provider, correlation_id, principal, payload, prev_hash, hash, chain_version";
    const values = `?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${CHAIN_VERSION}`;
    this.insert = db.prepare(`INSERT INTO events (${columns}) VALUES (${values})`);
    // The first row after retention pruned every row: the id after the pruned ones, never one used before.
    this.insertAt = db.prepare(`INSERT INTO events (id, ${columns}) VALUES (?, ${values})`);
    this.appendBatch = db.transaction((rows: RowSource): Appended => {
      // Read inside the write transaction: another hangar may have appended since our last batch.
      const last = this.lastHash.get() as string | undefined;
      const anchor = last === undefined ? readAnchor(db) : undefined;
      let prevHash = last ?? anchor?.lastHash ?? GENESIS_HASH;
      const afterPruned = anchor === undefined ? undefined : anchor.prunedThrough + 1;
      const appended: Appended = { count: 0, last: undefined };
      rows((row) => {
        const hash = chainHash(prevHash, row);
        if (appended.count === 0 && afterPruned !== undefined) {
          this.insertAt.run(afterPruned, row.ts, row.instance, row.seq, row.source, row.systemId, row.type, row.provider, row.correlationId, row.principal, row.payload, prevHash, hash);
        } else {
          this.insert.run(row.ts, row.instance, row.seq, row.source, row.systemId, row.type, row.provider, row.correlationId, row.principal, row.payload, prevHash, hash);
        }
        prevHash = hash;
        appended.count += 1;
        appended.last = row;
      });
      return appended;
    });
  }

  append(rows: readonly AuditRow[]): void {
    if (rows.length === 0) return;
    this.appendBatch.immediate((emit: (row: AuditRow) => void) => {
      for (const row of rows) emit(row);
    });
  }

  /**
   * Appends the rows `rows` hands over, each inserted as soon as it is made, in one transaction:
   * the writer thread encodes a batch while it writes it, so no more than a row of it is alive at
   * once (a batch's rows held until the insert were copied by each scavenge of the thread's young
   * generation, and promoted). A batch that makes no row still takes and ends a transaction.
   */
  appendEach(rows: RowSource): Appended {
    return this.appendBatch.immediate(rows);
  }

  /** The same, waiting up to `waitMs` for another hangar's transaction: for the last batch at shutdown, which has no later retry. */
  appendWaiting(rows: readonly AuditRow[], waitMs: number): void {
    this.db.pragma(`busy_timeout = ${waitMs}`);
    try {
      this.append(rows);
    } finally {
      this.db.pragma(`busy_timeout = ${WRITER_BUSY_TIMEOUT_MS}`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
