import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallProgress } from "../../src/machines/call.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { waitFor } from "../helpers/wait.js";
import { fixture, makeSpec, textOf, trackedHarnesses, type Harness } from "./connection-harness.js";

beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

const start = trackedHarnesses();
const faulty = (overrides: Partial<Parameters<typeof makeSpec>[0]> = {}) => makeSpec({ ...overrides, command: fixture("faulty-server.js") });

/** The notifications/cancelled the fixture has received so far. */
async function cancellations(h: Harness): Promise<{ requestId: number; reason: string }[]> {
  return JSON.parse(textOf(await h.call("cancelled_log"))) as { requestId: number; reason: string }[];
}

describe("progress", () => {
  it("forwards each progress notification, and each one restarts the call's timeout", async () => {
    const h = start(faulty({ callTimeoutS: 0.4 }));
    await h.waitForEvent("CONNECTION.READY");
    const seen: CallProgress[] = [];
    const started = performance.now();
    // 6 × 150 ms = 900 ms in all, more than twice the 400 ms timeout.
    const outcome = await h.call("progress", { steps: 6, interval_ms: 150 }, { onProgress: (progress) => seen.push(progress) });
    expect(textOf(outcome)).toBe("done 6");
    expect(performance.now() - started).toBeGreaterThanOrEqual(850);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((step) => ({ progress: step, total: 6, message: `step ${step}` })));
  });

  it("without onProgress asks for no progress, so the timeout is not extended", async () => {
    const h = start(faulty({ callTimeoutS: 0.4 }));
    await h.waitForEvent("CONNECTION.READY");
    const outcome = await h.call("progress", { steps: 6, interval_ms: 150 });
    expect(outcome).toMatchObject({ status: "failure", kind: "timeout" });
    expect(outcome.status === "failure" && outcome.message).toBe(
      'provider "fixture" did not answer "progress" within 0.4 s (the max_call_s cap of 600 s was not reached)',
    );
  });

  it("times out when progress stops, naming the seconds and that the cap was not reached", async () => {
    const h = start(faulty({ callTimeoutS: 0.3 }));
    await h.waitForEvent("CONNECTION.READY");
    const seen: CallProgress[] = [];
    const started = performance.now();
    const outcome = await h.call("progress", { steps: 10, interval_ms: 100, stall_after: 2 }, { onProgress: (progress) => seen.push(progress) });
    expect(outcome).toMatchObject({ status: "failure", kind: "timeout" });
    expect(outcome.status === "failure" && outcome.message).toBe(
      'provider "fixture" did not answer "progress" within 0.3 s of its last progress notification (the max_call_s cap of 600 s was not reached)',
    );
    // Two notifications at 100 and 200 ms, then 300 ms of silence.
    expect(seen.map((progress) => progress.progress)).toEqual([1, 2]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(480);
    expect(await cancellations(h)).toHaveLength(1);
  });

  it("stops at max_call_s however much progress comes, and cancels the request at the provider", async () => {
    const h = start(faulty({ callTimeoutS: 0.3, maxCallS: 0.8 }));
    await h.waitForEvent("CONNECTION.READY");
    const seen: CallProgress[] = [];
    const started = performance.now();
    const outcome = await h.call("progress", { steps: 100, interval_ms: 100 }, { onProgress: (progress) => seen.push(progress) });
    const took = performance.now() - started;
    expect(outcome).toMatchObject({ status: "failure", kind: "timeout" });
    expect(outcome.status === "failure" && outcome.message).toMatch(
      /^provider "fixture" did not finish "progress" within 0\.8 s: the max_call_s cap was hit \(\d+ progress notifications had extended its 0\.3 s timeout\)$/,
    );
    expect(took).toBeGreaterThanOrEqual(780);
    expect(took).toBeLessThan(2_000);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(await cancellations(h)).toHaveLength(1);
    // The connection is fine.
    expect(textOf(await h.call("echo", { text: "after" }))).toBe("after");
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("caps a call timeout longer than max_call_s, and says so", async () => {
    const h = start(faulty({ callTimeoutS: 30, maxCallS: 0.3 }));
    await h.waitForEvent("CONNECTION.READY");
    const outcome = await h.call("slow", { ms: 5_000 });
    expect(outcome).toMatchObject({ status: "failure", kind: "timeout" });
    expect(outcome.status === "failure" && outcome.message).toBe(
      'provider "fixture" did not answer "slow" within 0.3 s: the max_call_s cap was hit (the call asked for 30 s)',
    );
  });

  it("a callback that throws does not break the call", async () => {
    const h = start(faulty());
    await h.waitForEvent("CONNECTION.READY");
    const outcome = await h.call(
      "progress",
      { steps: 2, interval_ms: 10 },
      {
        onProgress: () => {
          throw new Error("front end bug");
        },
      },
    );
    expect(textOf(outcome)).toBe("done 2");
  });
});

describe("cancellation reaches the provider", () => {
  it("sends notifications/cancelled when a call times out", async () => {
    const h = start(faulty({ callTimeoutS: 0.2 }));
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.call("slow", { ms: 5_000 })).toMatchObject({ kind: "timeout" });
    const log = await cancellations(h);
    expect(log).toHaveLength(1);
    expect(log[0]?.reason).toContain("timed out");
  });

  it("sends notifications/cancelled when the caller aborts, with or without progress", async () => {
    const h = start(faulty());
    await h.waitForEvent("CONNECTION.READY");
    const plain = new AbortController();
    const first = h.call("slow", { ms: 5_000 }, { signal: plain.signal });
    const withProgress = new AbortController();
    const seen: CallProgress[] = [];
    const second = h.call(
      "progress",
      { steps: 100, interval_ms: 50 },
      { signal: withProgress.signal, onProgress: (progress) => seen.push(progress) },
    );
    // Abort once the progress call is known to run at the provider.
    await waitFor(() => seen.length > 0, 5_000, "first progress");
    plain.abort(new Error("client went away"));
    withProgress.abort(new Error("client went away"));
    expect(await first).toEqual({ status: "failure", kind: "cancelled", message: "the caller cancelled the call" });
    expect(await second).toEqual({ status: "failure", kind: "cancelled", message: "the caller cancelled the call" });
    const log = await cancellations(h);
    expect(log).toHaveLength(2);
    expect(log.every((entry) => entry.reason.includes("client went away"))).toBe(true);
    // The call ids the fixture saw cancelled are distinct requests.
    expect(new Set(log.map((entry) => entry.requestId)).size).toBe(2);
  });
});
