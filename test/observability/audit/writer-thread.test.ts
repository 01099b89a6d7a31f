import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import { openAuditDatabase } from "../../../src/observability/audit/store.js";
import { POST_AT_EVENTS } from "../../../src/observability/audit/threaded-writer.js";
import { AuditTrail } from "../../../src/observability/audit/trail.js";
import { Redactor } from "../../../src/shared/redaction.js";
import { auditFileBytes, builtWriterScript, readAudit, verifyAudit } from "../../helpers/audit-db.js";
import { waitFor } from "../../helpers/wait.js";
import { useAuditFiles } from "./helpers.js";
import { sideBySideWriters } from "./side-by-side-writers.js";

/**
 * The audit writer on its worker thread, with real SQLite and a real thread: the same rows as the
 * main-thread writer, flush() still synchronous, nothing lost on close, a failing thread handed
 * over to the main thread, one chain for two hangars, and no thread left behind.
 */
const files = useAuditFiles();
const SECRET = "sk-thread-0123456789abcdef";

/** A call's worth of events and a few others, a secret among them. */
function publishSample(bus: DomainEventBus, round: number): void {
  const correlationId = randomUUID();
  bus.publish("provider:math", { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId, principal: "alice", arguments: { a: round, b: [1, 2] } });
  bus.publish("provider:math", {
    type: "ToolInvocationCompleted",
    providerId: "math",
    tool: "add",
    correlationId,
    kind: "ok",
    durationMs: 1.5,
    toolResult: { content: [{ type: "text", text: `sum ${round} ${SECRET}` }] },
  });
  bus.publish("provider:math", { type: "ProviderStopped", providerId: "math", reason: "crash", kind: "crash", message: `died saying ${SECRET}` });
}

/** Linux: the ids of this process's threads (the writer thread is one of them while it runs). */
function threadIds(): string[] {
  return readdirSync("/proc/self/task");
}

describe("audit writer thread", () => {
  it("writes the very rows and chain the main-thread writer writes for the same events, without the main thread writing", () => {
    const dir = files.dir();
    const writers = sideBySideWriters(dir, SECRET);
    const { bus, errors, rowsOf } = writers;
    try {
      for (let round = 0; round < 20; round += 1) {
        publishSample(bus, round);
        if (round % 7 === 0) writers.flush();
      }
    } finally {
      writers.close();
    }
    expect(errors).toEqual([]);
    const rows = rowsOf("thread.db");
    // Each call answered within its batch: one row (the answer's, with the arguments), and the ProviderStopped.
    expect(rows).toHaveLength(40);
    expect(rows).toEqual(rowsOf("main.db"));
    expect(verifyAudit(join(dir, "thread.db"))).toMatchObject({ ok: true, rows: 40 });
    expect(auditFileBytes(dir)).not.toContain(SECRET);
  });

  it("starts the thread only with writer_thread: true, however fast events come", () => {
    for (const writerThread of [false, true]) {
      const trail = new AuditTrail({
        spec: { enabled: true, path: join(files.dir(), `default-${String(writerThread)}.db`), capture: "hash", retentionDays: 30, batchMs: 100, writerThread },
        source: "/etc/hangar.yaml",
        redactor: new Redactor(),
        onError: (error) => {
          throw error;
        },
        writerScript: builtWriterScript(),
      });
      const bus = new DomainEventBus();
      trail.attach(bus);
      // 200 events in one batch: four times the rate that starts the thread when it is allowed.
      for (let index = 0; index < 200; index += 1) bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
      trail.flush();
      expect(trail.writesOnThread, `writer_thread: ${String(writerThread)}`).toBe(writerThread);
      trail.close();
      expect(readAudit(trail.path)).toHaveLength(200);
    }
  });

  it("writes a quiet hangar's batches on the main thread, starts the thread with the first large batch, and keeps one ordered chain", () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 }, { threadAtEvents: 20 });
    const before = threadIds().length;
    for (let round = 0; round < 3; round += 1) {
      for (let index = 0; index < 19; index += 1) bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
      trail.flush();
    }
    expect(trail.writesOnThread).toBe(false);
    expect(threadIds().length).toBeLessThanOrEqual(before);
    for (let index = 0; index < 20; index += 1) bus.publish("provider:math", { type: "CircuitHalfOpened", providerId: "math" });
    trail.flush();
    expect(trail.writesOnThread).toBe(true);
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.close();
    expect(errors).toEqual([]);
    const events = readAudit(trail.path);
    expect(events).toHaveLength(78);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 78 });
  });

  it("writes on the main thread, and says so, when the thread's script is missing", () => {
    const notices: string[] = [];
    const trail = new AuditTrail({
      spec: { enabled: true, path: join(files.dir(), "no-thread.db"), capture: "hash", retentionDays: 30, batchMs: 60_000, writerThread: false },
      source: "/etc/hangar.yaml",
      redactor: new Redactor(),
      onError: (error) => {
        throw error;
      },
      onNotice: (message) => notices.push(message),
      writerScript: new URL("file:///nonexistent/writer-thread.js"),
      threadAtEvents: 0,
    });
    const bus = new DomainEventBus();
    trail.attach(bus);
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.close();
    expect(notices).toEqual([expect.stringContaining("writing on the main thread")]);
    expect(trail.writesOnThread).toBe(false);
    expect(readAudit(trail.path).map((event) => event.type)).toEqual(["CircuitClosed"]);
  });

  it("masks a secret registered after the thread started", () => {
    const redactor = new Redactor();
    const { trail, bus } = files.open({ batchMs: 60_000 }, { redactor });
    const late = "late-secret-value-42";
    redactor.register(late);
    bus.publish("provider:math", { type: "ProviderStopped", providerId: "math", reason: "crash", message: `stderr: ${late}` });
    trail.close();
    expect(readAudit(trail.path).map((event) => event.data.message)).toEqual(["stderr: ***"]);
    expect(auditFileBytes(files.dir())).not.toContain(late);
  });

  it("flush() returns once every event is on disk: a query right after sees them all", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    for (let index = 0; index < 500; index += 1) bus.publish("provider:math", { type: "CircuitOpened", providerId: "math", failures: index, retryAt: 0 });
    trail.flush();
    expect(readAudit(trail.path)).toHaveLength(500);
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    // registry_history flushes before it reads.
    expect(trail.recent("math", 1).transitions.map((event) => event.type)).toEqual(["CircuitClosed"]);
  });

  it("posts a large batch on the next turn of the event loop, without waiting for batch_ms", async () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 }, { threadAtEvents: 0 });
    const events = POST_AT_EVENTS + 44;
    for (let index = 0; index < events; index += 1) bus.publish("provider:math", { type: "CircuitOpened", providerId: "math", failures: index, retryAt: 0 });
    // Not within the publishing call: nothing is posted before the event loop turns.
    expect(readAudit(trail.path)).toHaveLength(0);
    await waitFor(() => readAudit(trail.path).length >= POST_AT_EVENTS, 5_000, "the large batch to be written long before batch_ms");
    trail.close();
    expect(errors).toEqual([]);
    expect(readAudit(trail.path)).toHaveLength(events);
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: events });
  });

  it("close() while the thread is still writing a batch loses nothing", async () => {
    const { trail, bus } = files.open({ batchMs: 1 });
    for (let index = 0; index < 3_000; index += 1) publishSample(bus, index);
    // The 1 ms batch timer fires before this 5 ms one: the thread is busy with 9,000 events when more come.
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (let index = 0; index < 100; index += 1) bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.close();
    const events = readAudit(trail.path);
    // 9,100 events; each call's request is folded into its answer's row (all 3,000 were answered in the batch).
    expect(events).toHaveLength(6_100);
    const absorbed = new Set(Array.from({ length: 3_000 }, (_, call) => 3 * call + 1));
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 9_100 }, (_, index) => index + 1).filter((seq) => !absorbed.has(seq)));
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 6_100 });
  });

  it("a batch the file refuses midway is reported, kept, and written whole and in order by the thread's retry", async () => {
    const { trail, bus, errors } = files.open({ batchMs: 50 }, { threadAtEvents: 0 });
    // The third row's INSERT fails, after the transaction began and two rows went in (a full disk fails so at the commit).
    const other = openAuditDatabase(trail.path);
    other.exec("CREATE TRIGGER refuse_third BEFORE INSERT ON events WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END");
    for (let index = 0; index < 5; index += 1) bus.publish("provider:math", { type: "CircuitOpened", providerId: "math", failures: index, retryAt: 0 });
    trail.flush();
    expect(readAudit(trail.path)).toHaveLength(0);
    await waitFor(() => errors.some((error) => String(error).includes("refused for the test")), 5_000, "the failed write to be reported");
    other.exec("DROP TRIGGER refuse_third");
    other.close();
    await waitFor(() => readAudit(trail.path).length === 5, 5_000, "the kept rows to be written by the retry");
    trail.close();
    expect(readAudit(trail.path).map((event) => [event.seq, event.data.failures])).toEqual([0, 1, 2, 3, 4].map((failures) => [failures + 1, failures]));
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 5 });
  });

  it("a crash of the thread is reported, and its events and all later ones are written on the main thread", async () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 }, { crashWriterThreadOn: "CircuitOpened" });
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.flush();
    bus.publish("provider:math", { type: "CircuitHalfOpened", providerId: "math" });
    bus.publish("provider:math", { type: "CircuitOpened", providerId: "math", failures: 3, retryAt: 0 });
    // The thread throws on this batch; flush() does not wait out its timeout, the main thread writes the batch.
    const started = performance.now();
    trail.flush();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(readAudit(trail.path).map((event) => event.type)).toEqual(["CircuitClosed", "CircuitHalfOpened", "CircuitOpened"]);
    await waitFor(() => errors.some((error) => String(error).includes("crashing on CircuitOpened")), 5_000, "the thread's own error to be reported");
    expect(errors.map(String).some((message) => message.includes("writing on the main thread from now on"))).toBe(true);
    // The hangar goes on: later events are written (on the main thread).
    bus.publish("provider:math", { type: "CircuitClosed", providerId: "math" });
    trail.flush();
    expect(readAudit(trail.path)).toHaveLength(4);
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 4 });
  });

  it("two hangars' threads writing batches at the same time extend one chain", async () => {
    const first = files.open({ batchMs: 1 }, { source: "/a/hangar.yaml" });
    const second = files.open({ batchMs: 1 }, { source: "/b/hangar.yaml" });
    for (let round = 0; round < 40; round += 1) {
      for (let index = 0; index < 50; index += 1) {
        first.bus.publish("provider:a", { type: "CircuitOpened", providerId: "a", failures: index, retryAt: 0 });
        second.bus.publish("provider:b", { type: "CircuitOpened", providerId: "b", failures: index, retryAt: 0 });
      }
      // Let both timers post, so the two threads' transactions meet.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    first.trail.close();
    second.trail.close();
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
    expect(verifyAudit(first.trail.path)).toMatchObject({ ok: true, rows: 4_000 });
    const sources = readAudit(first.trail.path).map((event) => event.source);
    expect(sources.filter((source) => source === "/a/hangar.yaml")).toHaveLength(2_000);
  });

  it("leaves no thread behind after close", async () => {
    const before = new Set(threadIds());
    const { trail } = files.open();
    // The writer thread (booted: the helper's first flush waited for it) is among the new ones.
    const started = threadIds().filter((id) => !before.has(id));
    expect(started.length).toBeGreaterThan(0);
    trail.close();
    await waitFor(() => threadIds().every((id) => !started.includes(id)), 5_000, "the writer thread to end");
  });

  it("never keeps the process alive: a process that forgets to close its trail still exits", () => {
    const trailModule = new URL("trail.js", builtWriterScript()).href;
    const script = `
      const { AuditTrail } = await import(${JSON.stringify(trailModule)});
      const trail = new AuditTrail({
        spec: { enabled: true, path: ${JSON.stringify(join(files.dir(), "forgotten.db"))}, capture: "hash", retentionDays: 30, batchMs: 10 },
        source: "/etc/hangar.yaml",
        onError: (error) => { console.error(String(error)); process.exitCode = 3; },
      });
      trail.flush();
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 10_000, encoding: "utf8" });
    expect(result.error).toBeUndefined();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
  });
});
