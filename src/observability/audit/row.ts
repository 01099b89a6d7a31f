/**
 * One row of the audit trail's `events` table, as the writer hands it to the store: the columns
 * the queries filter on, and the rest of the event as JSON. The store adds the chain hashes.
 */
export interface AuditRow {
  /** Epoch milliseconds, from the bus's stamp. */
  ts: number;
  /** The hangar process that wrote it: seq is monotonic within one instance (two hangars may share a file). */
  instance: string;
  seq: number;
  /** The absolute path of the hangar's config file: which hangar this is, across restarts. */
  source: string;
  systemId: string;
  type: string;
  provider: string | null;
  correlationId: string | null;
  principal: string | null;
  /** The event's remaining fields as JSON, with secrets masked and payloads captured per audit.capture. */
  payload: string;
}

/** A row as stored: the content plus its place in the hash chain. */
export interface ChainedRow extends AuditRow {
  id: number;
  prevHash: string;
  hash: string;
}

/** The columns of `events` in the order the chain hashes them (see chain.ts). */
export const ROW_COLUMNS = `id, ts, instance, seq, source, system_id AS systemId, type, provider,
  correlation_id AS correlationId, principal, payload, prev_hash AS prevHash, hash`;
