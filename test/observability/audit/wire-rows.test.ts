import { describe, expect, it } from "vitest";
import { objectsOnWire, toWire } from "../../../src/observability/audit/audit-wire.js";
import { createRowEncoder } from "../../../src/observability/audit/capture.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import { wireRows } from "../../../src/observability/audit/wire-rows.js";
import type { StampedDomainEvent } from "../../../src/shared/domain-events.js";
import { Redactor } from "../../../src/shared/redaction.js";

const encoder = createRowEncoder({ capture: "hash", key: Buffer.alloc(32, 7), redactor: new Redactor(), instance: "test", source: "/etc/hangar.yaml" });

function event(seq: number, args: unknown): StampedDomainEvent {
  return { type: "ToolCallStarted", seq, timestamp: 1_000 + seq, systemId: "provider:p", providerId: "p", correlationId: `c${seq}`, tool: "echo", arguments: args } as unknown as StampedDomainEvent;
}

function collect(source: (emit: (row: AuditRow) => void) => void): AuditRow[] {
  const rows: AuditRow[] = [];
  source((row) => rows.push(row));
  return rows;
}

describe("a wire batch's rows (the writer thread's appendEach)", () => {
  it("gives the same rows each time it is asked, and reports a record that cannot be encoded once, not on every retry", () => {
    // Arguments with a BigInt have no JSON text: the record goes as its object and falls back when encoded.
    const batch = toWire([event(1, { text: "a" }), event(2, { big: 1n }), event(3, { text: "c" })], "hash");
    const reports: unknown[] = [];
    const rows = wireRows(batch, encoder, true, (error) => reports.push(error));
    const first = collect(rows);
    const retry = collect(rows);
    expect(first).toHaveLength(3);
    expect(retry).toEqual(first);
    expect(reports).toHaveLength(1);
    expect(String(reports[0])).toMatch(/BigInt/);
  });

  it("reports a bad record on the retry when the failed pass never reached it", () => {
    const batch = objectsOnWire([event(1, { text: "a" }), event(2, { big: 1n })]);
    const reports: unknown[] = [];
    const rows = wireRows(batch, encoder, false, (error) => reports.push(error));
    // The store failed on the first row (a busy file): the pass ends there.
    expect(() => {
      rows(() => {
        throw new Error("SQLITE_BUSY");
      });
    }).toThrow("SQLITE_BUSY");
    expect(reports).toEqual([]);
    expect(collect(rows)).toHaveLength(2);
    expect(reports).toHaveLength(1);
  });
});
