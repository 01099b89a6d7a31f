import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH } from "../../../src/observability/audit/chain.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import { AuditStore, openAuditDatabase } from "../../../src/observability/audit/store.js";
import { storedRows, verifyAudit } from "../../helpers/audit-db.js";
import { useAuditFiles } from "./helpers.js";

/**
 * However the writer cuts its batches, the file holds the same rows: the same ids, columns,
 * payload bytes and chain as rows appended one at a time, each chained to the one before. A
 * faster append (several rows per INSERT, say) must pass this unchanged.
 */
const files = useAuditFiles();

function rows(count: number): AuditRow[] {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1_790_000_000_000 + index,
    instance: "i1",
    seq: index + 1,
    source: "/etc/hangar.yaml",
    systemId: index % 3 === 0 ? "provider:math" : "provider:files",
    type: index % 2 === 0 ? "ToolInvocationRequested" : "ToolInvocationCompleted",
    provider: index % 5 === 4 ? null : index % 3 === 0 ? "math" : "files",
    correlationId: index % 7 === 6 ? null : `c${index}`,
    principal: index % 4 === 0 ? "alice" : null,
    payload: JSON.stringify({ tool: "add", text: 'é😀"\\'.repeat(index % 9) }),
  }));
}

/** Appends `all` in batches of the given sizes (cycled), each in its own transaction; `made`: each row handed over as it is inserted (appendEach). */
function appendInBatches(path: string, all: readonly AuditRow[], sizes: readonly number[], made = false): void {
  const store = new AuditStore(openAuditDatabase(path));
  try {
    for (let next = 0, turn = 0; next < all.length; turn += 1) {
      const size = sizes[turn % sizes.length] ?? 1;
      const batch = all.slice(next, next + size);
      if (!made) store.append(batch);
      else {
        const appended = store.appendEach((emit) => {
          for (const row of batch) emit({ ...row });
        });
        expect(appended).toEqual({ count: batch.length, last: batch.at(-1) });
      }
      next += size;
    }
  } finally {
    store.close();
  }
}

describe("audit store batches", () => {
  it("stores the same rows and chain whatever the batch sizes", () => {
    const all = rows(700);
    // What one row per transaction stores, chained by hand.
    let prevHash = GENESIS_HASH;
    const expected = all.map((row, index) => {
      const hash = chainHash(prevHash, row);
      const stored = { id: index + 1, ...row, prevHash, hash };
      prevHash = hash;
      return stored;
    });
    const one = join(files.dir(), "one.db");
    appendInBatches(one, all, [1]);
    expect(storedRows(one)).toEqual(expected);
    for (const sizes of [[700], [200, 33, 1, 8, 31, 32, 64, 7], [16, 17]]) {
      const path = join(files.dir(), `batches-${sizes.join("-")}.db`);
      appendInBatches(path, all, sizes);
      expect(storedRows(path)).toEqual(expected);
      expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 700 });
    }
    // Rows made while they are written (the writer thread's way), in the thread's usual batch sizes.
    const made = join(files.dir(), "made.db");
    appendInBatches(made, all, [512, 1, 187], true);
    expect(storedRows(made)).toEqual(expected);
  });
});
