import { describe, expect, it } from "vitest";
import { openAuditDatabase, WRITER_CACHE_KIB } from "../../../src/observability/audit/store.js";
import { readAudit, verifyAudit } from "../../helpers/audit-db.js";
import { waitFor } from "../../helpers/wait.js";
import { useAuditFiles } from "./helpers.js";

/** The batching writer on real SQLite: nothing is written on the call's path; two hangars share one chain. */
const files = useAuditFiles();

function count(path: string): number {
  return readAudit(path).length;
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

  it("caps the writer's page cache at a few MB, so appends to a large file do not make the hangar's memory creep up", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.flush();
    const writer = openAuditDatabase(trail.path);
    try {
      // Negative: KiB (SQLite's default in this build is 16 MB).
      expect(writer.pragma("cache_size", { simple: true })).toBe(-WRITER_CACHE_KIB);
      expect(WRITER_CACHE_KIB).toBeLessThanOrEqual(4_096);
    } finally {
      writer.close();
      trail.close();
    }
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
    expect(verifyAudit(first.trail.path)).toMatchObject({ ok: true, rows: 15 });
    const sources = readAudit(first.trail.path).map((event) => event.source);
    expect(sources.slice(0, 3)).toEqual(["/a/hangar.yaml", "/b/hangar.yaml", "/b/hangar.yaml"]);
  });

  it("never waits for another hangar's transaction: a busy file is tried again soon, in order, without forking the chain", async () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 });
    // Another hangar holds the write lock.
    const other = openAuditDatabase(trail.path);
    other.exec("BEGIN IMMEDIATE");
    bus.publish("provider:math", { type: "CircuitHalfOpened", providerId: "math" });
    const started = performance.now();
    trail.flush();
    // Refused at once (no busy wait on the event loop), and not an error.
    expect(performance.now() - started).toBeLessThan(50);
    expect(errors).toEqual([]);
    other.exec("COMMIT");
    other.close();
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    // The retry comes by itself, well before the next 60 s batch.
    await waitFor(() => count(trail.path) === 2, 2_000, "the busy batch to be retried");
    trail.close();
    expect(readAudit(trail.path).map((event) => event.type)).toEqual(["CircuitHalfOpened", "CircuitClosed"]);
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 2 });
  });
});
