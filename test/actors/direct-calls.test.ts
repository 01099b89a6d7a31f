import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubprocessProviderSpec } from "../../src/config/types.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { fixture, makeSpec, textOf, trackedHarnesses, type Harness } from "./connection-harness.js";

// Calls go to the provider on the transport itself (src/actors/direct-requests.ts), beside the
// SDK Client's own requests (initialize, tools/list, ping). These tests use a provider written
// by hand (test/fixtures/raw-server.js), which does on the wire what SDK servers never do.

beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

const start = trackedHarnesses();

const raw = (overrides: Partial<SubprocessProviderSpec> = {}): SubprocessProviderSpec =>
  makeSpec({ id: "raw", command: fixture("raw-server.js"), ...overrides });

interface SeenRequest {
  id: unknown;
  method: string;
  reason?: string;
}

async function requestsSeen(h: Harness): Promise<SeenRequest[]> {
  return JSON.parse(textOf(await h.call("requests"))) as SeenRequest[];
}

describe("calls sent on the provider transport directly", () => {
  it("match answers that come back out of order, beside the SDK's own requests, with ids apart from the SDK's", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    // Later calls answer sooner; probes (SDK pings) run in between.
    const calls = Array.from({ length: 8 }, (_, i) => h.call("echo", { text: `t${i}`, delay_ms: (8 - i) * 15 }));
    const probes = [h.probe(5_000), h.probe(5_000)];
    expect((await Promise.all(calls)).map(textOf)).toEqual(Array.from({ length: 8 }, (_, i) => `t${i}`));
    expect(await Promise.all(probes)).toMatchObject([{ ok: true, method: "ping" }, { ok: true, method: "ping" }]);

    const seen = await requestsSeen(h);
    const callIds = seen.filter((request) => request.method === "tools/call").map((request) => request.id);
    const sdkIds = seen.filter((request) => request.method !== "tools/call").map((request) => request.id);
    expect(callIds.every((id) => typeof id === "string")).toBe(true);
    expect(sdkIds.every((id) => typeof id === "number")).toBe(true);
    expect(new Set(callIds).size).toBe(callIds.length);
  });

  it("leaves a provider's own request that reuses a call's id to the SDK, and still gets the call's answer", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    // The hangar advertises no roots here: the SDK answers the provider's roots/list with an error.
    const reply = JSON.parse(textOf(await h.call("ask_with_call_id"))) as { id: unknown; error?: { code: number } };
    expect(reply.error?.code).toBe(-32601);
    expect(typeof reply.id).toBe("string");
    expect(textOf(await h.call("echo", { text: "still serving" }))).toBe("still serving");
  });

  it("skips an answer that is not JSON-RPC and times the call out, then keeps serving", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.call("bad_answer", {}, { timeoutMs: 300 })).toMatchObject({ status: "failure", kind: "timeout" });
    expect(textOf(await h.call("echo", { text: "after" }))).toBe("after");
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("answers a call once when the provider answers after its timeout cancelled it", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.call("late_answer", {}, { timeoutMs: 200 })).toMatchObject({ status: "failure", kind: "timeout" });
    // The late answer is written before this call's (one pipe, in order), and is ignored.
    expect(textOf(await h.call("echo", { text: "next" }))).toBe("next");
    // trackedHarnesses checks each call was answered exactly once.
  });

  it("cancels at the provider the very request that timed out or was aborted, by its id", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    const caller = new AbortController();
    const aborted = h.call("never", { which: "aborted" }, { signal: caller.signal });
    expect(await h.call("never", { which: "timed out" }, { timeoutMs: 200 })).toMatchObject({ kind: "timeout" });
    caller.abort(new Error("client went away"));
    expect(await aborted).toMatchObject({ status: "failure", kind: "cancelled" });

    const seen = await requestsSeen(h);
    const [abortedId, timedOutId] = seen.filter((request) => request.method === "tools/call").map((request) => request.id);
    const cancelled = seen.filter((request) => request.method === "notifications/cancelled");
    expect(cancelled).toEqual([
      { id: timedOutId, method: "notifications/cancelled", reason: expect.stringContaining("timed out") as unknown },
      { id: abortedId, method: "notifications/cancelled", reason: expect.stringContaining("client went away") as unknown },
    ]);
  });

  it("does not send a call whose signal is already aborted", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    const aborted = AbortSignal.abort(new Error("gone before it started"));
    expect(await h.call("echo", { text: "never sent" }, { signal: aborted })).toEqual({
      status: "failure",
      kind: "cancelled",
      message: "the caller cancelled the call",
    });
    const calls = (await requestsSeen(h)).filter((request) => request.method === "tools/call");
    expect(calls).toHaveLength(1); // the `requests` call itself
  });

  it("times out a short call sent after a long one on time (one deadline timer for all calls)", async () => {
    const h = start(raw());
    await h.waitForEvent("CONNECTION.READY");
    const long = h.call("never", {}, { timeoutMs: 8_000 });
    const sent = performance.now();
    expect(await h.call("never", {}, { timeoutMs: 250 })).toMatchObject({ status: "failure", kind: "timeout" });
    const took = performance.now() - sent;
    expect(took).toBeGreaterThanOrEqual(249);
    expect(took).toBeLessThan(4_000);
    h.stop();
    expect(await long).toEqual({ status: "failure", kind: "cancelled", message: "provider stopped" });
  });

  it("keeps a call whose deadline is beyond setTimeout's range waiting, with no timer overflow", async () => {
    const days = 30 * 24 * 3600;
    const h = start(raw({ callTimeoutS: days, maxCallS: days }));
    await h.waitForEvent("CONNECTION.READY");
    const overflows: string[] = [];
    const onWarning = (warning: Error): void => {
      if (warning.name === "TimeoutOverflowWarning") overflows.push(warning.message);
    };
    process.on("warning", onWarning);
    try {
      const long = h.call("never", {}, { timeoutMs: days * 1000 });
      // Answered in order after the long call was sent: the deadline timer had every chance to fire.
      expect(textOf(await h.call("echo", { text: "after", delay_ms: 30 }))).toBe("after");
      expect(overflows).toEqual([]);
      h.stop();
      expect(await long).toEqual({ status: "failure", kind: "cancelled", message: "provider stopped" });
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("answers every call in flight when the provider closes its pipes and exits", async () => {
    const h = start(raw());
    const ready = await h.waitForEvent("CONNECTION.READY");
    const pending = [h.call("never"), h.call("never", {}, { timeoutMs: 8_000 })];
    // One pipe, read in order: both calls have reached the provider when this one is answered.
    expect((await requestsSeen(h)).filter((request) => request.method === "tools/call")).toHaveLength(3);
    process.kill(ready.pid ?? -1, "SIGKILL");
    const outcomes = await Promise.all(pending);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ status: "failure", kind: "crash" });
    expect(outcomes[0]).toMatchObject({ message: expect.stringContaining("SIGKILL") as unknown });
    await h.waitForEvent("CONNECTION.FAILED");
  });
});
