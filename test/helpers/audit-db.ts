import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { queryEvents, type AuditEvent, type AuditFilter } from "../../src/observability/audit/query.js";
import { ROW_COLUMNS, type ChainedRow } from "../../src/observability/audit/row.js";
import { openAuditDatabase, type AuditDatabase } from "../../src/observability/audit/store.js";
import { verifyChain, type VerifyResult } from "../../src/observability/audit/verify.js";

/** The audit database in `dir`, its WAL and shared memory, as raw bytes (latin1), to search for what must not be there. */
export function auditFileBytes(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.startsWith("audit.db"))
    .map((name) => readFileSync(join(dir, name)).toString("latin1"))
    .join("\n");
}

/** Reads an audit file the way a person would: a separate, read-only connection, closed once `read` returns. */
export function readAuditFile<T>(path: string, read: (db: AuditDatabase) => T): T {
  if (!existsSync(path)) throw new Error(`no audit file at ${path}`);
  const db = openAuditDatabase(path, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/**
 * Changes an audit file behind the hangar's back, as a person with the file would: a separate
 * connection (not the hangar's store) runs `change` (SQL, or a function given the connection),
 * closed after.
 */
export function tamper(path: string, change: string | ((db: AuditDatabase) => void)): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    if (typeof change === "string") db.exec(change);
    else change(db);
  } finally {
    db.close();
  }
}

/** The events stored in an audit file, as the query tools read them. */
export function readAudit(path: string, filter: AuditFilter = {}): AuditEvent[] {
  return readAuditFile(path, (db) => queryEvents(db, filter));
}

/** Every stored row as the table holds it (ids, columns, payload bytes, chain), in id order. */
export function storedRows(path: string): ChainedRow[] {
  return readAuditFile(path, (db) => db.prepare(`SELECT ${ROW_COLUMNS} FROM events ORDER BY id`).all() as ChainedRow[]);
}

/** What `audit verify` finds in the file's chain. */
export function verifyAudit(path: string): VerifyResult {
  return readAuditFile(path, verifyChain);
}

/** `Type` or `Type(detail)`: an event as the sequence tests compare it. */
export function brief(event: AuditEvent): string {
  const data = event.data;
  switch (event.type) {
    case "ProviderStateChanged":
      return `${event.type}(${String(data.from)}→${String(data.to)})`;
    case "ProviderStopped":
      return `${event.type}(${String(data.reason)})`;
    case "ToolInvocationRequested":
      return `${event.type}(${String(data.tool)})`;
    case "ToolInvocationCompleted":
    case "ToolInvocationFailed":
      return `${event.type}(${String(data.tool)}, ${String(data.kind)})`;
    default:
      return event.type;
  }
}

/** What the call helpers need of a stored event (an AuditEvent, or registry_history's JSON of one). */
interface CallRow {
  type: string;
  provider: string | null;
  correlationId: string | null;
  data: Record<string, unknown>;
}

const isAnswer = (event: CallRow): boolean => event.type === "ToolInvocationCompleted" || event.type === "ToolInvocationFailed";
const sameCall = (a: CallRow, b: CallRow): boolean => a.provider === b.provider && a.correlationId === b.correlationId;

/**
 * The events with each answered call as one row, its answer's: a call answered before its batch
 * was written is stored so (call-pairing.ts), one in flight when its batch was written keeps its
 * request's row too — which of the two a call got depends on where the batch timer fell. For
 * tests about what happened, not how the rows were cut. A request with no answer stays.
 */
export function oneRowPerCall<T extends CallRow>(events: readonly T[]): T[] {
  return events.filter((event, index) => event.type !== "ToolInvocationRequested" || !events.slice(index + 1).some((later) => isAnswer(later) && sameCall(later, event)));
}

/** The captured arguments of an answered call: in its answer's row, or in its request's row before it. */
export function argumentsOf(events: readonly CallRow[], answer: CallRow): unknown {
  if (answer.data.arguments !== undefined) return answer.data.arguments;
  const index = events.indexOf(answer);
  return events
    .slice(0, index)
    .reverse()
    .find((event) => event.type === "ToolInvocationRequested" && sameCall(event, answer))?.data.arguments;
}

/**
 * Seqs of the file's rows, checked whole: increasing, and every seq up to the last accounted for
 * — by a row, or by a request folded into its answer's row (such a row carries the arguments;
 * the calls of these tests all have some). Returns how many requests were folded.
 */
export function expectEveryEvent(events: readonly (CallRow & { seq: number })[]): number {
  const seqs = events.map((event) => event.seq);
  for (let index = 1; index < seqs.length; index += 1) if ((seqs[index] ?? 0) <= (seqs[index - 1] ?? 0)) throw new Error(`seq ${String(seqs[index])} after ${String(seqs[index - 1])}`);
  const folded = events.filter((event) => isAnswer(event) && event.data.arguments !== undefined).length;
  const last = seqs.at(-1) ?? 0;
  if (last !== events.length + folded) throw new Error(`the last seq is ${last}, but ${events.length} rows and ${folded} folded requests account for ${events.length + folded}`);
  return folded;
}

/** The built audit writer thread (dist/): a worker thread runs JavaScript, not the sources vitest reads. */
export function builtWriterScript(): URL {
  const script = new URL("../../dist/observability/audit/writer-thread.js", import.meta.url);
  if (!existsSync(script)) throw new Error(`${script.pathname} does not exist: run npm run build before the audit tests`);
  return script;
}
