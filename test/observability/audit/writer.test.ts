import { describe, expect, it } from "vitest";
import { AuditStore, openAuditDatabase } from "../../../src/observability/audit/store.js";
import { queryEvents } from "../../../src/observability/audit/query.js";
import { verifyChain } from "../../../src/observability/audit/verify.js";
import { waitFor } from "../../helpers/wait.js";
import { useAuditFiles } from "./helpers.js";

/** The batching writer on real SQLite: nothing is written on the call's path; two hangars share one chain. */
const files = useAuditFiles();

function count(path: string): number {
  const db = openAuditDatabase(path, { readonly: true });
  try {
    return queryEvents(db).length;
  } finally {
    db.close();
  }
}

describe("audit writer", () => {
  it("writes nothing while publishing, then the whole batch after batch_ms", async () => {
    const { trail, bus } = files.open({ batchMs: 50 });
    for (let index = 0; index < 10; index += 1) bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    expect(count(trail.path)).toBe(0);
    await waitFor(() => count(trail.path) === 10, 2_000, "the batch to be written");
  });

  it("flushes what is pending on close", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    bus.publish("provider:math", { type: "CircuitHalfOpened", providerId: "math" });
    trail.close();
    expect(count(trail.path)).toBe(1);
  });

  it("keeps one unforked chain when two hangars append to one file", () => {
    const first = files.open({ batchMs: 60_000 }, { source: "/a/hangar.yaml" });
    const second = files.open({ batchMs: 60_000 }, { source: "/b/hangar.yaml" });
    for (let round = 0; round < 5; round += 1) {
      first.bus.publish("provider:a", { type: "CircuitOpened", providerId: "a", failures: round, retryAt: 0 });
      first.trail.flush();
      second.bus.publish("provider:b", { type: "CircuitOpened", providerId: "b", failures: round, retryAt: 0 });
      second.bus.publish("provider:b", { type: "CircuitClosed", providerId: "b" });
      second.trail.flush();
    }
    first.trail.close();
    second.trail.close();
    const db = openAuditDatabase(first.trail.path, { readonly: true });
    try {
      expect(verifyChain(db)).toMatchObject({ ok: true, rows: 15 });
      const sources = queryEvents(db).map((event) => event.source);
      expect(sources.slice(0, 3)).toEqual(["/a/hangar.yaml", "/b/hangar.yaml", "/b/hangar.yaml"]);
    } finally {
      db.close();
    }
  });

  it("retries a batch the file refused, in order, without forking the chain", () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 });
    // Another connection holds the write lock longer than the busy timeout allows.
    const other = openAuditDatabase(trail.path);
    other.pragma("busy_timeout = 0");
    const store = new AuditStore(other);
    (trail as unknown as { store: AuditStore }).store.db.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    bus.publish("provider:math", { type: "CircuitHalfOpened", providerId: "math" });
    trail.flush();
    expect(errors).toHaveLength(1);
    other.exec("COMMIT");
    store.close();
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.close();
    const db = openAuditDatabase(trail.path, { readonly: true });
    try {
      expect(queryEvents(db).map((event) => event.type)).toEqual(["CircuitHalfOpened", "CircuitClosed"]);
      expect(verifyChain(db)).toMatchObject({ ok: true, rows: 2 });
    } finally {
      db.close();
    }
  });
});
