import { describe, expect, it } from "vitest";
import { chainHash } from "../../../src/observability/audit/chain.js";
import { ROW_COLUMNS, type ChainedRow } from "../../../src/observability/audit/row.js";
import { tamper, verifyAudit } from "../../helpers/audit-db.js";
import { useAuditFiles } from "./helpers.js";

/**
 * Tamper evidence on a real file: rows are changed, deleted and moved through a separate SQLite
 * connection (as a person with the file would), and verify names the first row that no longer fits.
 */
const files = useAuditFiles();

function writeCalls(count: number): string {
  const { trail, bus } = files.open();
  for (let index = 0; index < count; index += 1) {
    bus.publish("provider:math", { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: `c${index}`, arguments: { a: index } });
    // In flight when its batch is written: the request and the answer are two rows (an answered call in one batch is one).
    trail.flush();
    bus.publish("provider:math", { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: `c${index}`, kind: "ok", durationMs: 1 });
  }
  trail.close();
  return trail.path;
}

describe("audit verify", () => {
  it("passes on a good file", () => {
    const path = writeCalls(5);
    expect(verifyAudit(path)).toEqual({ ok: true, rows: 10, firstId: 1, lastId: 10, anchoredAt: undefined });
  });

  it("pinpoints a row changed by UPDATE", () => {
    const path = writeCalls(5);
    tamper(path, `UPDATE events SET principal = 'mallory' WHERE id = 4`);
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 4, reason: expect.stringContaining("content was changed") as string });
  });

  it("pinpoints the row after one whose hash was recomputed to hide an UPDATE", () => {
    const path = writeCalls(5);
    tamper(path, (db) => {
      const row = db.prepare(`SELECT ${ROW_COLUMNS} FROM events WHERE id = 4`).get() as ChainedRow;
      // A careful forger rewrites the content and its hash — the next row still points at the old hash.
      const forged = { ...row, payload: row.payload.replace('"ok"', '"tool_error"') };
      expect(forged.payload).not.toBe(row.payload);
      db.prepare("UPDATE events SET payload = ?, hash = ? WHERE id = 4").run(forged.payload, chainHash(row.prevHash, forged));
    });
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 5, reason: expect.stringContaining("not chained to row 4") as string });
  });

  it("pinpoints the row after a DELETE", () => {
    const path = writeCalls(5);
    tamper(path, "DELETE FROM events WHERE id = 6");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 7, reason: expect.stringContaining("not chained to row 5") as string });
  });

  it("pinpoints a DELETE of the first row", () => {
    const path = writeCalls(2);
    tamper(path, "DELETE FROM events WHERE id = 1");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 2, reason: expect.stringContaining("the start of the chain") as string });
  });

  it("pinpoints re-ordered rows", () => {
    const path = writeCalls(5);
    // Swap rows 3 and 4 whole (hashes included) through the ids.
    tamper(path, "UPDATE events SET id = -3 WHERE id = 3; UPDATE events SET id = 3 WHERE id = 4; UPDATE events SET id = 4 WHERE id = -3;");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 3 });
  });
});
