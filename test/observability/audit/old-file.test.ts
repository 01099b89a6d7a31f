import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chainHashV1 } from "../../../src/observability/audit/chain.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import { readAudit, readAuditFile, storedRows, tamper, verifyAudit } from "../../helpers/audit-db.js";
import { useAuditFiles } from "./helpers.js";

/**
 * An audit file written by the hangar before rows said which form of the chain they were hashed in
 * (test/fixtures/audit-923e09c.db: written by the build at 923e09c — a provider start, six calls,
 * two of them in flight when their batch was written, a crash — then pruned through row 4, as a
 * month-old file is, and VACUUMed to SQLite's default 4 KiB pages: form-1 chain, an AUTOINCREMENT
 * id, no chain_version column). It must still be read, verified and appended to, and tampering
 * with either kind of row must still show.
 */
const FIXTURE = fileURLToPath(new URL("../../fixtures/audit-923e09c.db", import.meta.url));
const files = useAuditFiles();

function oldFile(): string {
  const path = join(files.dir(), "audit.db");
  copyFileSync(FIXTURE, path);
  return path;
}

function columns(path: string): string[] {
  return readAuditFile(path, (db) => (db.pragma("table_info(events)") as { name: string }[]).map((column) => column.name));
}

function chainVersions(path: string): (number | null)[] {
  return readAuditFile(path, (db) => db.prepare("SELECT chain_version FROM events ORDER BY id").pluck().all() as (number | null)[]);
}

/** Appends calls through the hangar's own trail (writer thread), then closes it. */
function appendCalls(count: number): void {
  const { trail, bus, errors } = files.open();
  for (let index = 0; index < count; index += 1) {
    const correlationId = `0190a0b0-9999-7abc-8def-00000000000${index}`;
    bus.publish("provider:math", { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId, arguments: { a: index } });
    bus.publish("provider:math", { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId, kind: "ok", durationMs: 1 });
  }
  trail.close();
  expect(errors).toEqual([]);
}

describe("an audit file written before chain_version", () => {
  it("verifies and answers queries as it is, read-only", () => {
    const path = oldFile();
    expect(columns(path)).not.toContain("chain_version");
    expect(verifyAudit(path)).toEqual({ ok: true, rows: 6, firstId: 5, lastId: 10, anchoredAt: 4 });
    expect(readAudit(path, { correlationId: "0190a0b0-1234-7abc-8def-000000000003" }).map((event) => [event.id, event.type])).toEqual([
      [6, "ToolInvocationRequested"],
      [7, "ToolInvocationCompleted"],
    ]);
    expect(readAudit(path, { provider: "math", type: "ProviderStopped" }).map((event) => event.id)).toEqual([10]);
    expect(readAudit(path, { sinceMs: 0 })).toHaveLength(6);
  });

  it("takes appends on its chain: the old rows stay form 1, the new ones are form 2, and the whole file verifies", () => {
    const path = oldFile();
    appendCalls(3);
    expect(columns(path)).toContain("chain_version");
    expect(chainVersions(path)).toEqual([null, null, null, null, null, null, 2, 2, 2]);
    const rows = storedRows(path);
    expect(rows.map((row) => row.id)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13]);
    // The first new row chains to the last old one.
    expect(rows[6]?.prevHash).toBe(rows[5]?.hash);
    expect(verifyAudit(path)).toEqual({ ok: true, rows: 9, firstId: 5, lastId: 13, anchoredAt: 4 });
    expect(readAudit(path, { correlationId: "0190a0b0-9999-7abc-8def-000000000001" }).map((event) => event.id)).toEqual([12]);
    // Opened again (the column exists now): nothing changes, appends go on.
    appendCalls(1);
    expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 10, lastId: 14 });
  });

  it("verifies when an older hangar sharing the file appends form-1 rows after form-2 ones", () => {
    const path = oldFile();
    appendCalls(1);
    // What 923e09c's store does for each row: the last hash, the form-1 hash, an INSERT without chain_version.
    tamper(path, (db) => {
      const last = db.prepare("SELECT hash FROM events ORDER BY id DESC LIMIT 1").pluck().get() as string;
      const row: AuditRow = {
        ts: Date.now(),
        instance: "older-hangar",
        seq: 1,
        source: "/etc/hangar.yaml",
        systemId: "provider:math",
        type: "ProviderStarted",
        provider: "math",
        correlationId: null,
        principal: null,
        payload: '{"pid":1}',
      };
      db.prepare(
        `INSERT INTO events (ts, instance, seq, source, system_id, type, provider, correlation_id, principal, payload, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(row.ts, row.instance, row.seq, row.source, row.systemId, row.type, row.provider, row.correlationId, row.principal, row.payload, last, chainHashV1(last, row));
    });
    expect(chainVersions(path)).toEqual([null, null, null, null, null, null, 2, null]);
    expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 8 });
    appendCalls(1);
    expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 9 });
  });

  it("still shows a changed row of either form, and a row whose form was changed", () => {
    const path = oldFile();
    appendCalls(2);
    copyFileSync(path, `${path}.good`);
    tamper(path, "UPDATE events SET principal = 'mallory' WHERE id = 7");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 7, reason: expect.stringContaining("content was changed") as string });
    copyFileSync(`${path}.good`, path);
    tamper(path, "UPDATE events SET principal = 'mallory' WHERE id = 12");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 12, reason: expect.stringContaining("content was changed") as string });
    copyFileSync(`${path}.good`, path);
    tamper(path, "UPDATE events SET chain_version = NULL WHERE id = 11");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 11, reason: expect.stringContaining("content was changed") as string });
    copyFileSync(`${path}.good`, path);
    tamper(path, "UPDATE events SET chain_version = 3 WHERE id = 12");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 12, reason: expect.stringContaining("chain form this build does not know") as string });
    copyFileSync(`${path}.good`, path);
    tamper(path, "DELETE FROM events WHERE id = 10");
    expect(verifyAudit(path)).toMatchObject({ ok: false, brokenId: 11, reason: expect.stringContaining("not chained to row 9") as string });
  });
});
