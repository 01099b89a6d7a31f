import { parentPort, workerData } from "node:worker_threads";
import type { Redactor } from "../../shared/redaction.js";
import type { AuditStore, RowSource } from "./store.js";
import type { AuditWriter } from "./writer.js";
import {
  ACK_SLOT,
  COMMITTED_OFFSET,
  INT_SLOTS,
  STATE_FAILED,
  STARTED_SLOT,
  STATE_SLOT,
  UNWRITTEN_SLOT,
  type WriterThreadBatch,
  type WriterThreadData,
  type WriterThreadReport,
} from "./writer-thread-protocol.js";
import { eventOfPairs, forEachRecord, type WireBatch } from "./audit-wire.js";

/**
 * The audit writer's thread (node:worker_threads): encoding, redaction, HMAC, the hash chain and
 * SQLite run here, on the same AuditWriter the main thread would use, so rows are byte for byte
 * what it would write. Each batch the main thread posts is written at once; a busy file or a
 * failed write is kept and retried here, as on the main thread.
 */
const data = workerData as WriterThreadData;
const port = parentPort;
const control = new Int32Array(data.control, 0, INT_SLOTS);
const committed = new BigInt64Array(data.control, COMMITTED_OFFSET, 1);
// First: the main thread is blocked until this isolate exists (threaded-writer.ts, waitForIsolate).
Atomics.store(control, STARTED_SLOT, 1);
Atomics.notify(control, STARTED_SLOT);

/** Tells a main thread blocked in a flush that it need not wait: it takes the writing over. */
function markFailed(): void {
  Atomics.store(control, STATE_SLOT, STATE_FAILED);
  Atomics.notify(control, ACK_SLOT);
}

function report(error: unknown): void {
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  const payload: WriterThreadReport = {
    error: {
      name: typeof name === "string" ? name : "Error",
      message: typeof message === "string" ? message : String(error),
      code: typeof code === "string" ? code : undefined,
    },
  };
  port?.postMessage(payload);
}

/**
 * Loaded here, not by static imports: a module that fails to load (better-sqlite3's binary, say)
 * is then a failure this thread can still announce, instead of one before any of its code runs,
 * which would leave a flush on the main thread waiting out its timeout.
 */
async function start(): Promise<{ writer: AuditWriter; store: AuditStore; redactor: Redactor; rowsOf: (batch: WireBatch) => RowSource }> {
  const [{ Redactor }, { createRowEncoder }, { AuditStore, openAuditDatabase }, { AuditWriter }, { wireRows }] = await Promise.all([
    import("../../shared/redaction.js"),
    import("./capture.js"),
    import("./store.js"),
    import("./writer.js"),
    import("./wire-rows.js"),
  ]);
  const redactor = new Redactor();
  for (const secret of data.secrets) redactor.register(secret);
  const store = new AuditStore(openAuditDatabase(data.path));
  const encoder = createRowEncoder({ capture: data.capture, key: Buffer.from(data.key), redactor, instance: data.instance, source: data.source });
  const writer = new AuditWriter({
    store,
    encoder,
    batchMs: data.batchMs,
    maxBacklog: data.maxBacklog,
    onError: report,
    // How far the file is written: what the main thread need not write again if this thread dies.
    onWritten: (last) => {
      if (last !== undefined) Atomics.store(committed, 0, BigInt(last.seq));
      Atomics.store(control, UNWRITTEN_SLOT, 0);
    },
  });
  // Pairs carry the arguments' and results' JSON text with capture `hash` (audit-wire.ts).
  const capturedAsJson = data.capture === "hash";
  const rowsOf = (batch: WireBatch): RowSource => wireRows(batch, encoder, capturedAsJson, report);
  return { writer, store, redactor, rowsOf };
}

type Parts = Awaited<ReturnType<typeof start>>;

function write(batch: WriterThreadBatch, parts: Parts): void {
  for (const secret of batch.secrets ?? []) parts.redactor.register(secret);
  if (data.crashOnEventType !== undefined && typesOf(batch.wire).includes(data.crashOnEventType)) {
    throw new Error(`audit writer thread: crashing on ${data.crashOnEventType}, as asked (test hook)`);
  }
  // An empty batch (a flush with nothing pending) writes only what a retry holds, without a transaction of its own.
  if (batch.wire.fields.length === 0) parts.writer.appendRows([]);
  else parts.writer.appendEach(parts.rowsOf(batch.wire));
  Atomics.store(control, UNWRITTEN_SLOT, parts.writer.unwrittenRows);
  if (batch.close === true) {
    parts.writer.close();
    parts.store.close();
  }
  if (batch.flushId !== undefined) {
    Atomics.store(control, ACK_SLOT, batch.flushId);
    Atomics.notify(control, ACK_SLOT);
  }
}

/** The batch's event types (for the test hook only). */
function typesOf(batch: WireBatch): unknown[] {
  const types: unknown[] = [];
  forEachRecord(
    batch,
    (pairs, start, count) => types.push(eventOfPairs(pairs, start, count).type),
    (event) => types.push(event.type),
  );
  return types;
}

let parts: Parts;
try {
  parts = await start();
} catch (error) {
  markFailed();
  throw error;
}
port?.on("message", (batch: WriterThreadBatch) => {
  try {
    write(batch, parts);
  } catch (error) {
    // A bug here must not lose events: the main thread writes them itself from now on.
    markFailed();
    throw error;
  }
});
