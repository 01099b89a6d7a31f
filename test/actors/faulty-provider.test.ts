import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingTerminations, registeredProcessGroups } from "../../src/actors/process-registry.js";
import { STDERR_LOG_LINES_PER_SECOND } from "../../src/actors/stderr-log-limiter.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { waitFor } from "../helpers/wait.js";
import { captureLog, fixture, isAlive, makeSpec, silentLog, textOf, trackedHarnesses } from "./connection-harness.js";

// terminate.ts logs its SIGKILL warnings to the hangar log; expected here.
beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

const start = trackedHarnesses();
type SpecOverrides = Partial<Parameters<typeof makeSpec>[0]>;
const faulty = (env: Record<string, string>, overrides: SpecOverrides = {}) =>
  makeSpec({ ...overrides, command: fixture("faulty-server.js"), env });

describe("a provider that sends a message over max_message_bytes", () => {
  it("fails the connection as transport, answers every call in flight, and stop ends the process", async () => {
    const h = start(faulty({ FAULT_OVERSIZE_BYTES: "3000000" }, { maxMessageBytes: 1_000_000 }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    const inFlight = h.call("slow", { ms: 10_000 });
    const started = performance.now();
    const outcome = await h.call("echo", { text: "big" });
    const expected = 'provider "fixture" sent a message of more than 1000000 bytes (max_message_bytes)';
    expect(outcome).toMatchObject({ status: "failure", kind: "transport", message: expected });
    expect(await inFlight).toMatchObject({ status: "failure", kind: "transport", message: expected });
    expect(performance.now() - started).toBeLessThan(2_000);
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed).toEqual({ type: "CONNECTION.FAILED", kind: "transport", message: expected });
    // The chart leaves its running state: the connection stops and the group is ended.
    h.stop();
    await pendingTerminations();
    expect(isAlive(ready.pid ?? -1)).toBe(false);
    expect(registeredProcessGroups()).toEqual([]);
  });

  it("passes a large message under the limit", async () => {
    const h = start(faulty({ FAULT_OVERSIZE_BYTES: "2000000" }, { maxMessageBytes: 4_000_000 }));
    await h.waitForEvent("CONNECTION.READY");
    const text = textOf(await h.call("echo", { text: "big" }));
    expect(text.length).toBe(2_000_000);
    expect(text.startsWith("big")).toBe(true);
    expect(textOf(await h.call("pid"))).toMatch(/^\d+$/);
  });

  it("fails a start whose initialize answer is too large as start_failed", async () => {
    const h = start(faulty({}, { maxMessageBytes: 50 }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed).toMatchObject({ kind: "start_failed", message: expect.stringContaining("more than 50 bytes (max_message_bytes)") as string });
  });
});

describe("a provider that floods stderr", () => {
  it("keeps every line in the bounded ring, rate-limits the log, and keeps serving", async () => {
    const { logger, records } = captureLog();
    const h = start(faulty({ FAULT_STDERR_FLOOD: "1" }, { id: "flood" }), { log: logger });
    await h.waitForEvent("CONNECTION.READY");
    const startedAt = performance.now();
    const summaries = () => records.filter((record) => record.msg.includes("stderr lines suppressed"));
    await waitFor(() => summaries().length >= 2, 10_000, "two suppression summaries");
    expect(textOf(await h.call("echo", { text: "still here" }))).toBe("still here");
    const elapsedS = (performance.now() - startedAt) / 1000;
    const stderrLines = records.filter((record) => record.fields?.stream === "stderr" && !record.msg.includes("suppressed"));
    // At most the limit per one-second window (plus the window in progress).
    expect(stderrLines.length).toBeLessThanOrEqual(STDERR_LOG_LINES_PER_SECOND * (Math.ceil(elapsedS) + 1));
    expect(summaries().every((record) => record.fields?.provider === "flood" && Number(record.fields.suppressed) > 0)).toBe(true);
    // The ring keeps the newest lines and no more than its capacity.
    const ring = h.stderr.toArray();
    expect(ring.length).toBeLessThanOrEqual(h.stderr.capacity);
    const newest = Number(/^flood (\d+) /.exec(ring.at(-1) ?? "")?.[1]);
    expect(newest).toBeGreaterThan(stderrLines.length * 5);
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });
});

describe("the other faults of faulty-server.js", () => {
  it("crash on the Nth call: that call and the ones in flight fail with the exit code and stderr tail", async () => {
    const h = start(faulty({ FAULT_CRASH_ON_CALL: "2" }));
    await h.waitForEvent("CONNECTION.READY");
    expect(textOf(await h.call("echo", { text: "one" }))).toBe("one");
    const started = performance.now();
    const outcome = await h.call("echo", { text: "two" });
    expect(outcome).toMatchObject({ status: "failure", kind: "crash", message: expect.stringContaining("exited with code 9") as string });
    expect(outcome.status === "failure" && outcome.stderrTail).toContain("faulty-server: crashing on call 2");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await h.waitForEvent("CONNECTION.FAILED")).toMatchObject({ kind: "crash" });
  });

  it("exit during initialize: start_failed with the exit code", async () => {
    const h = start(faulty({ FAULT_EXIT_DURING_INIT: "1" }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("start_failed");
    expect(failed.message).toContain("exited with code 9 before completing MCP initialization");
    expect(h.stderr.toArray()).toContain("faulty-server: exiting during initialize");
  });

  it("never answering: start_failed after startup_timeout_s, and stop ends the process", async () => {
    const h = start(faulty({ FAULT_NEVER_ANSWER: "1" }, { startupTimeoutS: 0.4 }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed).toMatchObject({ kind: "start_failed", message: expect.stringContaining("within 0.4 s") as string });
    const [pgid] = registeredProcessGroups();
    h.stop();
    await pendingTerminations();
    expect(pgid !== undefined && isAlive(pgid)).toBe(false);
  });

  it("never answering calls: the call times out, probes and the connection stay fine", async () => {
    const h = start(faulty({ FAULT_NEVER_ANSWER_CALLS: "1" }, { callTimeoutS: 0.3 }));
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.call("echo", { text: "x" })).toMatchObject({ kind: "timeout", message: expect.stringContaining("0.3 s") as string });
    expect(await h.probe(1_000)).toMatchObject({ ok: true, method: "ping" });
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("slow answers: answered after the delay, or timed out when the delay is too long", async () => {
    const h = start(faulty({ FAULT_SLOW_MS: "300" }, { callTimeoutS: 5 }));
    await h.waitForEvent("CONNECTION.READY");
    const started = performance.now();
    expect(textOf(await h.call("echo", { text: "late" }))).toBe("late");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(await h.call("echo", { text: "later" }, { timeoutMs: 100 })).toMatchObject({ kind: "timeout" });
  });

  it("garbage around every message: skipped and logged, calls keep working", async () => {
    const { logger, records } = captureLog();
    const h = start(faulty({ FAULT_GARBAGE: "1" }), { log: logger });
    await h.waitForEvent("CONNECTION.READY");
    for (let i = 0; i < 3; i++) expect(textOf(await h.call("echo", { text: `g${i}` }))).toBe(`g${i}`);
    expect(await h.probe(1_000)).toMatchObject({ ok: true });
    expect(records.filter((record) => record.msg.includes("non-MCP line")).length).toBeGreaterThanOrEqual(6);
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("ignoring SIGTERM with a stubborn grandchild: stop still ends both", async () => {
    const h = start(faulty({ FAULT_IGNORE_SIGTERM: "1", FAULT_GRANDCHILD: "1" }, { shutdownGraceS: 0.3 }), { log: silentLog });
    const ready = await h.waitForEvent("CONNECTION.READY");
    const grandchild = Number(textOf(await h.call("grandchild")));
    expect(isAlive(grandchild)).toBe(true);
    const stoppedAt = performance.now();
    h.stop();
    await pendingTerminations();
    expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(250);
    expect(isAlive(ready.pid ?? -1)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
  });
});
