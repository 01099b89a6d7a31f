// log.ts lives in src/observability; its test sits here because it was written with the connection
// that first needed it.
import { afterEach, describe, expect, it } from "vitest";
import { configureLog, log, resetLog } from "../../src/observability/log.js";
import { redactor } from "../../src/shared/redaction.js";

function capture(): string[] {
  const lines: string[] = [];
  configureLog({ sink: (line) => lines.push(line) });
  return lines;
}

afterEach(() => {
  resetLog();
});

describe("log", () => {
  it("writes text lines with fields, filtered by level", () => {
    const lines = capture();
    configureLog({ level: "info", format: "text" });
    log.debug("hidden");
    log.child({ provider: "math" }).info("provider ready", { pid: 42, note: "two words" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\S+Z INFO {2}provider ready provider=math pid=42 note="two words"\n$/);
  });

  it("writes one JSON object per line", () => {
    const lines = capture();
    configureLog({ level: "debug", format: "json" });
    log.warn("careful", { error: new Error("boom"), count: 2 });
    const record = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
    expect(record).toMatchObject({ level: "warn", msg: "careful", error: "boom", count: 2 });
  });

  it("masks registered secrets and secret-named fields", () => {
    const lines = capture();
    configureLog({ level: "info", format: "json" });
    redactor.register("hunter2-secret");
    log.info("token is hunter2-secret", { apiKey: "abc", detail: 'quote " hunter2-secret' });
    expect(lines[0]).not.toContain("hunter2");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ msg: "token is ***", apiKey: "***", detail: 'quote " ***' });
  });

  it("writes to stderr, never stdout, by default", () => {
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => written.push(chunk) > 0;
    const originalErr = process.stderr.write.bind(process.stderr);
    const errWritten: string[] = [];
    process.stderr.write = (chunk: string) => errWritten.push(chunk) > 0;
    try {
      log.error("to stderr");
    } finally {
      process.stdout.write = original;
      process.stderr.write = originalErr;
    }
    expect(written).toEqual([]);
    expect(errWritten.join("")).toContain("to stderr");
  });
});
