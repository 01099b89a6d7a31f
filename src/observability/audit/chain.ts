import { hash } from "node:crypto";
import type { AuditRow } from "./row.js";

/**
 * The hash chain that makes the trail tamper-evident: each row stores the SHA-256 of the previous
 * row's hash and its own content. Changing, removing or moving a row breaks the link at that row
 * (or the next one); `audit verify` walks the chain and names the first broken row.
 */

/** The "previous hash" of the very first row. */
export const GENESIS_HASH = "0".repeat(64);

/** The content a row's hash covers, in a fixed order (the id is not part of it: order is the chain). */
export function rowContent(row: AuditRow): string {
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

/** SHA-256 of `prevHash`, a newline and the row's content; one-shot (a Hash object per row costs 3× as much). */
export function chainHash(prevHash: string, row: AuditRow): string {
  return hash("sha256", `${prevHash}\n${rowContent(row)}`, "hex");
}
