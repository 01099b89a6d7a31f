import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AuditStore, openAuditDatabase } from "../../../src/observability/audit/store.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import { readAuditFile, verifyAudit } from "../../helpers/audit-db.js";
import { useAuditFiles } from "./helpers.js";

/**
 * New audit files get 16 KiB pages (fewer WAL frames per batch); a file made with SQLite's default
 * 4 KiB pages, as every file before, keeps them, takes appends on its chain and verifies. Either
 * way the WAL is checkpointed at ≈ 4 MB.
 */
const files = useAuditFiles();

function rows(from: number, count: number): AuditRow[] {
  return Array.from({ length: count }, (_, index) => ({
    ts: 1_790_000_000_000 + from + index,
    instance: "i1",
    seq: from + index,
    source: "/etc/hangar.yaml",
    systemId: "provider:math",
    type: "ToolInvocationRequested",
    provider: "math",
    correlationId: `c${from + index}`,
    principal: null,
    payload: JSON.stringify({ tool: "add", text: "é😀".repeat(index % 50) }),
  }));
}

function pragmas(path: string): { pageSize: unknown; autocheckpoint: unknown } {
  const db = openAuditDatabase(path);
  try {
    return { pageSize: db.pragma("page_size", { simple: true }), autocheckpoint: db.pragma("wal_autocheckpoint", { simple: true }) };
  } finally {
    db.close();
  }
}

describe("audit file pages", () => {
  it("a new file has 16 KiB pages, and its rows verify", () => {
    const path = join(files.dir(), "new.db");
    const store = new AuditStore(openAuditDatabase(path));
    for (let batch = 0; batch < 20; batch += 1) store.append(rows(batch * 500, 500));
    store.close();
    expect(pragmas(path)).toEqual({ pageSize: 16_384, autocheckpoint: 250 });
    expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 10_000 });
    // Ids given by the store (no sqlite_sequence to update per row), each row's chain form stored.
    const { table, versions } = readAuditFile(path, (db) => ({
      table: db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").pluck().get() as string,
      versions: db.prepare("SELECT DISTINCT chain_version FROM events").pluck().all(),
    }));
    expect(table).not.toContain("AUTOINCREMENT");
    expect(versions).toEqual([2]);
  });

  it("a file with 4 KiB pages keeps them, and appends extend its chain", () => {
    const path = join(files.dir(), "old.db");
    // The file as the hangar created it before: SQLite's default page size.
    const old = new Database(path);
    old.exec("CREATE TABLE written_before (a)");
    expect(old.pragma("page_size", { simple: true })).toBe(4_096);
    old.close();
    const first = new AuditStore(openAuditDatabase(path));
    first.append(rows(0, 3_000));
    first.close();
    const second = new AuditStore(openAuditDatabase(path));
    second.append(rows(3_000, 3_000));
    second.close();
    expect(pragmas(path)).toEqual({ pageSize: 4_096, autocheckpoint: 1_000 });
    expect(verifyAudit(path)).toMatchObject({ ok: true, rows: 6_000 });
  });
});
