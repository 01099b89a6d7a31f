import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { CallPairing } from "../../../src/observability/audit/call-pairing.js";
import { createRowEncoder } from "../../../src/observability/audit/capture.js";
import { AuditStore, openAuditDatabase } from "../../../src/observability/audit/store.js";
import { ThreadedAuditWriter } from "../../../src/observability/audit/threaded-writer.js";
import { AuditWriter } from "../../../src/observability/audit/writer.js";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import { Redactor } from "../../../src/shared/redaction.js";
import { builtWriterScript, storedRows } from "../../helpers/audit-db.js";

/**
 * The writer thread and the main-thread writer on one bus, each with its own file in `dir`
 * (thread.db, main.db), the same key, identity and secret, capture `full`, batches only on
 * flush: whatever the bus carries, the two files must hold the very same rows.
 */
export function sideBySideWriters(
  dir: string,
  secret: string,
): {
  bus: DomainEventBus;
  errors: unknown[];
  /** Both writers write what they hold. */
  flush: () => void;
  /** Both writers close (and the main writer's store after them). */
  close: () => void;
  /** The rows of a file (`thread.db` or `main.db`), in chain order. */
  rowsOf: (file: string) => unknown[];
} {
  const key = randomBytes(32);
  const redactor = new Redactor();
  redactor.register(secret);
  const identity = { capture: "full" as const, instance: "instance-1", source: "/etc/hangar.yaml" };
  const errors: unknown[] = [];
  const threaded = new ThreadedAuditWriter({
    ...identity,
    script: builtWriterScript(),
    path: join(dir, "thread.db"),
    key,
    redactor,
    batchMs: 60_000,
    onError: (error) => errors.push(error),
    onMainThread: () => {
      throw new Error("the main thread must not write");
    },
    threadAtEvents: 0,
  });
  const store = new AuditStore(openAuditDatabase(join(dir, "main.db")));
  const onMain = new AuditWriter({
    store,
    encoder: createRowEncoder({ ...identity, key, redactor }),
    batchMs: 60_000,
    onError: (error) => errors.push(error),
    pairing: new CallPairing(identity.capture),
  });
  const bus = new DomainEventBus();
  threaded.attach(bus);
  onMain.attach(bus);
  return {
    bus,
    errors,
    flush: () => {
      threaded.flush();
      onMain.flush();
    },
    close: () => {
      try {
        threaded.close();
        onMain.close();
      } finally {
        store.close();
      }
    },
    rowsOf: (file) => storedRows(join(dir, file)),
  };
}
