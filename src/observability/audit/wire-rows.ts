import type { RowEncoder } from "./capture.js";
import type { RowSource } from "./store.js";
import { eventOfPairs, forEachRecord, type WireBatch } from "./audit-wire.js";
import { encodeOrFallback } from "./writer.js";

/**
 * A wire batch's rows for AuditStore.appendEach: each record encoded as the store asks for the
 * next (so none waits in a list), the same rows each time it is asked. A failed write asks again
 * (AuditWriter keeps the rows for its retry): a record that cannot be encoded is then encoded
 * the same way, by its fallback, but reported once — on the pass that first reached it.
 */
export function wireRows(batch: WireBatch, encoder: RowEncoder, capturedAsJson: boolean, report: (error: unknown) => void): RowSource {
  let reported: Set<number> | undefined;
  return (emit) => {
    let record = 0;
    const reportOnce = (error: unknown): void => {
      reported ??= new Set();
      if (reported.has(record)) return;
      reported.add(record);
      report(error);
    };
    forEachRecord(
      batch,
      (pairs, start, count) => {
        emit(encodeOrFallback(encoder, () => encoder.encodePairs(pairs, start, count, capturedAsJson), () => eventOfPairs(pairs, start, count), reportOnce));
        record += 1;
      },
      (event) => {
        emit(encodeOrFallback(encoder, () => encoder.encode(event), () => event, reportOnce));
        record += 1;
      },
    );
  };
}
