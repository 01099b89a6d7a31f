import { hash } from "node:crypto";
import type { AuditRow } from "./row.js";

/**
 * The hash chain that makes the trail tamper-evident: each row stores the SHA-256 of the previous
 * row's hash and its own content. Changing, removing or moving a row breaks the link at that row
 * (or the next one); `audit verify` walks the chain and names the first broken row.
 *
 * Two forms of a row's hashed content exist; each row says which it was hashed in (its
 * `chain_version` column, store.ts), so a file holding both verifies:
 * - 1 (rows written before 2026-11-27, `chain_version` NULL): the columns as one JSON array.
 *   JSON.stringify escapes every quote of the payload (itself JSON text), which made building the
 *   text cost as much as hashing it — half the chain's CPU per row on the writer thread.
 * - 2: the columns one per line, each string as its length and the string (a null as `-`), the
 *   payload last and as stored: nothing in it is escaped or copied more than once. The text is
 *   unambiguous: every string says where it ends, and the payload is the rest.
 */

/** The "previous hash" of the very first row. */
export const GENESIS_HASH = "0".repeat(64);

/** The form of the rows written now (the `chain_version` column). */
export const CHAIN_VERSION = 2;

/** Form 1's content: the columns in a fixed order as one JSON array (the id is not part of it: order is the chain). */
export function rowContentV1(row: AuditRow): string {
  return JSON.stringify([
    row.ts,
    row.instance,
    row.seq,
    row.source,
    row.systemId,
    row.type,
    row.provider,
    row.correlationId,
    row.principal,
    row.payload,
  ]);
}

/**
 * A string column in form 2: `<length>:<text>` and a newline, the length in UTF-16 code units
 * (JavaScript's `length`); a null as `-`. A non-string is hashed as the text SQLite stores for it
 * in a TEXT column (its String form), which is what a verifier reads back.
 */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "-\n";
  const text = typeof value === "string" ? value : String(value);
  return `${text.length}:${text}\n`;
}

/** Form 2's content: ts, seq, the string columns, then the payload as stored. */
export function rowContentV2(row: AuditRow): string {
  return (
    `${row.ts}\n${row.seq}\n` +
    field(row.instance) +
    field(row.source) +
    field(row.systemId) +
    field(row.type) +
    field(row.provider) +
    field(row.correlationId) +
    field(row.principal) +
    row.payload
  );
}

/** SHA-256 of `prevHash`, a newline and the row's content in form 2 (the rows written now); one-shot (a Hash object per row costs 3× as much). */
export function chainHash(prevHash: string, row: AuditRow): string {
  return hash("sha256", `${prevHash}\n${rowContentV2(row)}`, "hex");
}

/** The same in form 1, for rows written before form 2 (`chain_version` NULL). */
export function chainHashV1(prevHash: string, row: AuditRow): string {
  return hash("sha256", `${prevHash}\n${rowContentV1(row)}`, "hex");
}

/** The hash of a stored row in the form it says it was written in; undefined for a form this build does not know. */
export function chainHashOf(version: unknown, prevHash: string, row: AuditRow): string | undefined {
  if (version === null || version === 1) return chainHashV1(prevHash, row);
  if (version === CHAIN_VERSION) return chainHash(prevHash, row);
  return undefined;
}
