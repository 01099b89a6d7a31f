import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pendingTerminations } from "../../src/actors/process-registry.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { waitFor } from "../helpers/wait.js";
import { fixture, isAlive, makeSpec, textOf, trackedHarnesses } from "./connection-harness.js";

beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

const start = trackedHarnesses();
const faulty = (env: Record<string, string> = {}, overrides: Parameters<typeof makeSpec>[0] = { command: [] }) =>
  makeSpec({ ...overrides, command: fixture("faulty-server.js"), env });

describe("PROBE", () => {
  it("answers with ping, and is never a call", async () => {
    const h = start(faulty());
    await h.waitForEvent("CONNECTION.READY");
    const result = await h.probe(2_000);
    expect(result).toMatchObject({ ok: true, method: "ping" });
    expect(result.ok && result.durationMs).toBeGreaterThanOrEqual(0);
    expect(await h.probe(2_000)).toMatchObject({ ok: true, method: "ping" });
    // A call afterwards is the only CALL.DONE.
    expect(textOf(await h.call("echo", { text: "x" }))).toBe("x");
    await h.waitForEvent("CALL.DONE");
    expect(h.events.filter((event) => event.type === "CALL.DONE")).toHaveLength(1);
  });

  it("falls back to tools/list when the provider answers ping with an error", async () => {
    const h = start(faulty({ FAULT_NO_PING: "1" }));
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.probe(2_000)).toMatchObject({ ok: true, method: "tools/list" });
    // Remembered: the next probe goes straight to tools/list.
    expect(await h.probe(2_000)).toMatchObject({ ok: true, method: "tools/list" });
    expect(h.events.some((event) => event.type === "CALL.DONE")).toBe(false);
  });

  it("fails within its timeout when pings go unanswered, while calls still work, and recovers", async () => {
    const h = start(faulty({ FAULT_PING_FAIL_AFTER: "1", FAULT_PING_RECOVER_AFTER: "2" }));
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.probe(2_000)).toMatchObject({ ok: true, method: "ping" });
    const started = performance.now();
    expect(await h.probe(200)).toEqual({ ok: false, message: "no answer to ping within 0.2 s" });
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(textOf(await h.call("echo", { text: "still serving" }))).toBe("still serving");
    expect(await h.probe(200)).toMatchObject({ ok: false });
    expect(await h.probe(2_000)).toMatchObject({ ok: true, method: "ping" });
    // An unanswered probe never fails the connection.
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("answers 'not connected' while starting and after the connection failed", async () => {
    const h = start(faulty({ FAULT_NEVER_ANSWER: "1" }, { command: [], startupTimeoutS: 0.5 }));
    await waitFor(() => h.stderr.toArray().some((line) => line.includes("never answering")), 5_000, "fixture up");
    expect(await h.probe(1_000)).toEqual({ ok: false, message: "not connected" });
    await h.waitForEvent("CONNECTION.FAILED");
    expect(await h.probe(1_000)).toEqual({ ok: false, message: "not connected" });
  });

  it("answers a probe in flight when the connection stops or fails", async () => {
    const h = start(faulty({ FAULT_PING_FAIL_AFTER: "0" }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    const pending = h.probe(10_000);
    h.stop();
    expect(await pending).toEqual({ ok: false, message: "not connected (provider stopped)" });
    await pendingTerminations();
    expect(isAlive(ready.pid ?? -1)).toBe(false);

    const crashing = start(faulty({ FAULT_PING_FAIL_AFTER: "0", FAULT_CRASH_ON_CALL: "1" }));
    await crashing.waitForEvent("CONNECTION.READY");
    const inFlight = crashing.probe(10_000);
    await crashing.call("echo", { text: "boom" });
    const result = await inFlight;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^not connected: .*exited with code 9/);
  });
});
