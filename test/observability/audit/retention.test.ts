import { describe, expect, it } from "vitest";
import { AuditStore, openAuditDatabase, readAnchor, type AuditDatabase } from "../../../src/observability/audit/store.js";
import { pruneOlderThan } from "../../../src/observability/audit/retention.js";
import { replayProviders } from "../../../src/observability/audit/replay.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import { verifyChain } from "../../../src/observability/audit/verify.js";
import { queryEvents } from "../../../src/observability/audit/query.js";
import { useAuditFiles } from "./helpers.js";

/**
 * Retention on a real file: old rows go, the chain still verifies from the anchor, and replay
 * adds up to the same counters before and after pruning.
 */
const files = useAuditFiles();
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const SOURCE = "/etc/hangar.yaml";

let seq = 0;
function row(type: string, daysAgo: number, payload: Record<string, unknown> = {}, provider = "math"): AuditRow {
  seq += 1;
  return {
    ts: NOW - daysAgo * DAY,
    instance: "i1",
    seq,
    source: SOURCE,
    systemId: `provider:${provider}`,
    type,
    provider,
    correlationId: type.startsWith("ToolInvocation") ? `c${seq}` : null,
    principal: null,
    payload: JSON.stringify(payload),
  };
}

/** 40 days of history: starts, calls, failures of every sort, a crash, a restart, and a good start. */
function history(): AuditRow[] {
  return [
    row("ProviderStarted", 40),
    row("ToolInvocationCompleted", 40, { tool: "add", kind: "ok" }),
    row("ToolInvocationFailed", 39, { tool: "add", kind: "timeout", durationMs: 5 }),
    row("ToolInvocationFailed", 39, { tool: "add", kind: "cancelled", durationMs: 5 }),
    row("ToolInvocationFailed", 38, { tool: "add", kind: "unavailable", stage: "refused" }),
    row("ToolInvocationFailed", 38, { tool: "add", kind: "start_failed", stage: "queued" }),
    row("ProviderStopped", 37, { reason: "crash", kind: "crash", message: "exit 9" }),
    row("ProviderRestarted", 37, { restartCount: 1 }, "math"),
    row("ProviderStarted", 10),
    row("ToolInvocationCompleted", 5, { tool: "add", kind: "tool_error" }),
    row("ProviderStopped", 2, { reason: "crash", kind: "transport", message: "pipe closed" }),
    row("ToolInvocationCompleted", 1, { tool: "echo", kind: "ok" }, "other"),
  ];
}

/** A fresh audit file (schema created by a trail) opened as a person would, closed after `run`. */
function withDatabase(run: (db: AuditDatabase) => void): void {
  const { trail } = files.open();
  trail.close();
  const db = openAuditDatabase(trail.path);
  try {
    run(db);
  } finally {
    db.close();
  }
}

describe("audit retention and replay", () => {
  it("prunes old rows, keeps the chain verifiable from the anchor, and replays the same counters", () => {
    withDatabase((db) => {
    new AuditStore(db).append(history());
    const before = replayProviders(db, SOURCE, ["math", "other", "absent"]);
    expect(before).toEqual({
      math: {
        // reached the provider: 2 completed + timeout + cancelled; failures: timeout + queued.
        stats: { calls: 4, failures: 2, starts: 2, lastCallAt: NOW - 5 * DAY },
        lastError: { kind: "transport", message: "pipe closed", at: NOW - 2 * DAY },
        restartCount: 1,
      },
      other: { stats: { calls: 1, failures: 0, starts: 0, lastCallAt: NOW - DAY }, lastError: undefined, restartCount: 0 },
    });

    expect(pruneOlderThan(db, 30, NOW)).toEqual({ pruned: 8, through: 8 });
    expect(queryEvents(db).map((event) => event.id)).toEqual([9, 10, 11, 12]);
    expect(readAnchor(db)).toMatchObject({ prunedThrough: 8, prunedRows: 8 });
    expect(verifyChain(db)).toEqual({ ok: true, rows: 4, firstId: 9, lastId: 12, anchoredAt: 8 });
    expect(replayProviders(db, SOURCE, ["math", "other", "absent"])).toEqual(before);

    // New rows chain on; a second pruning moves the anchor and still verifies.
    new AuditStore(db).append([row("ProviderStarted", 0)]);
    expect(pruneOlderThan(db, 1.5, NOW)).toEqual({ pruned: 3, through: 11 });
    expect(verifyChain(db)).toMatchObject({ ok: true, rows: 2, anchoredAt: 11 });
    const after = replayProviders(db, SOURCE, ["math"]);
    expect(after.math?.stats).toEqual({ calls: 4, failures: 2, starts: 3, lastCallAt: NOW - 5 * DAY });
    // The newest start cleared the last error, as it does in the running provider.
    expect(after.math?.lastError).toBeUndefined();

    // Everything pruned: the next append chains to the anchor, and takes the id after the pruned
    // ones (never one used before: the store gives ids, AUTOINCREMENT no longer does).
    expect(pruneOlderThan(db, 1, NOW + 10 * DAY)).toMatchObject({ pruned: 2, through: 13 });
    new AuditStore(db).append([row("CircuitClosed", -10)]);
    expect(verifyChain(db)).toEqual({ ok: true, rows: 1, firstId: 14, lastId: 14, anchoredAt: 13 });
    });
  });

  it("tells when a row right after the anchor was deleted", () => {
    withDatabase((db) => {
    new AuditStore(db).append(history());
    pruneOlderThan(db, 30, NOW);
    db.exec("DELETE FROM events WHERE id = 9");
    expect(verifyChain(db)).toMatchObject({ ok: false, brokenId: 10, reason: expect.stringContaining("pruning anchor (row 8)") as string });
    });
  });

  it("counts only the rows of this hangar's config file", () => {
    withDatabase((db) => {
    new AuditStore(db).append([{ ...row("ProviderStarted", 1), source: "/other/hangar.yaml" }]);
    expect(replayProviders(db, SOURCE, ["math"])).toEqual({});
    });
  });
});
