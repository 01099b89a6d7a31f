import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StderrLogLimiter } from "../../src/actors/stderr-log-limiter.js";
import { captureLog } from "./connection-harness.js";

describe("StderrLogLimiter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("logs the first lines of each second, then one line saying how many were left out", () => {
    const { logger, records } = captureLog();
    const limiter = new StderrLogLimiter(logger, { linesPerSecond: 3, now: () => Date.now() });
    for (let i = 1; i <= 10; i++) limiter.line(`line ${i}`);
    expect(records.map((record) => record.msg)).toEqual(["line 1", "line 2", "line 3"]);
    expect(records.every((record) => record.level === "info" && record.fields?.stream === "stderr")).toBe(true);
    // The summary comes when the second is over, even if nothing more is written.
    vi.advanceTimersByTime(999);
    expect(records).toHaveLength(3);
    vi.advanceTimersByTime(1);
    expect(records[3]).toMatchObject({ level: "warn", msg: "… 7 stderr lines suppressed (more than 3 lines/s)", fields: { suppressed: 7 } });
    // A new second logs again.
    limiter.line("line 11");
    expect(records[4]?.msg).toBe("line 11");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("under a steady flood logs at most the limit plus one summary per second", () => {
    const { logger, records } = captureLog();
    const limiter = new StderrLogLimiter(logger, { linesPerSecond: 50, now: () => Date.now() });
    for (let ms = 0; ms < 10_000; ms++) {
      for (let i = 0; i < 10; i++) limiter.line(`flood ${ms}.${i}`);
      vi.advanceTimersByTime(1);
    }
    limiter.close();
    const summaries = records.filter((record) => record.msg.includes("suppressed"));
    const lines = records.length - summaries.length;
    expect(lines).toBeLessThanOrEqual(50 * 11);
    expect(lines).toBeGreaterThanOrEqual(50 * 9);
    expect(summaries.length).toBeLessThanOrEqual(11);
    const suppressed = summaries.reduce((sum, record) => sum + Number(record.fields?.suppressed), 0);
    expect(suppressed + lines).toBe(100_000);
  });

  it("close() reports what is still suppressed and leaves no timer", () => {
    const { logger, records } = captureLog();
    const limiter = new StderrLogLimiter(logger, { linesPerSecond: 1, now: () => Date.now() });
    limiter.line("a");
    limiter.line("b");
    limiter.close();
    expect(records.map((record) => record.msg)).toEqual(["a", "… 1 stderr lines suppressed (more than 1 lines/s)"]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
