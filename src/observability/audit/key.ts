import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";

/**
 * The key of the keyed hashes (HMAC) the trail stores instead of tool arguments and results. It
 * lives beside the database (`<db>.key`, mode 0600): without it, a hash of a guessable value
 * (a short argument) cannot be confirmed by trying candidates. Two hangars sharing a database
 * share its key, so equal payloads hash equal across them.
 */
const KEY_BYTES = 32;

export function auditKeyPath(dbPath: string): string {
  return `${dbPath}.key`;
}

/** Reads the key beside `dbPath`, creating it (exclusively, 0600) the first time; `:memory:` gets a fresh key. */
export function loadOrCreateAuditKey(dbPath: string): Buffer {
  if (dbPath === ":memory:") return randomBytes(KEY_BYTES);
  const path = auditKeyPath(dbPath);
  try {
    writeFileSync(path, randomBytes(KEY_BYTES).toString("hex"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  // Written by an older umask or copied around: tighten it again.
  chmodSync(path, 0o600);
  const text = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`${path} is not an audit key (64 hex digits); move it away to create a new one`);
  return Buffer.from(text, "hex");
}
