import { describe, expect, it } from "vitest";
import { FAILURE_KINDS, isProviderFault } from "../../src/shared/failure-kind.js";
import { LineRing } from "../../src/shared/line-ring.js";
import { Redactor } from "../../src/shared/redaction.js";
import { isRetrySafe } from "../../src/shared/retry-safety.js";

describe("failure kinds", () => {
  it("are the one list every consumer uses, and only provider faults count against health", () => {
    expect(FAILURE_KINDS).toEqual([
      "ok",
      "tool_error",
      "timeout",
      "transport",
      "crash",
      "start_failed",
      "cancelled",
      "rejected",
      "unavailable",
    ]);
    expect(FAILURE_KINDS.filter(isProviderFault)).toEqual(["timeout", "transport", "crash", "start_failed"]);
  });
});

describe("retry safety", () => {
  it("allows retries only for tools that say repeating them is harmless", () => {
    expect(isRetrySafe({ readOnlyHint: true })).toBe(true);
    expect(isRetrySafe({ idempotentHint: true })).toBe(true);
    expect(isRetrySafe({ readOnlyHint: false, destructiveHint: true })).toBe(false);
    expect(isRetrySafe({})).toBe(false);
    expect(isRetrySafe(undefined)).toBe(false);
  });
});

describe("LineRing", () => {
  it("keeps the newest lines, oldest first", () => {
    const ring = new LineRing(3);
    for (const line of ["a", "b", "c", "d", "e"]) ring.push(line);
    expect(ring.toArray()).toEqual(["c", "d", "e"]);
    expect(ring.tail(2)).toEqual(["d", "e"]);
    expect(ring.size).toBe(3);
  });
});

describe("Redactor", () => {
  it("masks registered values wherever they appear, longest first", () => {
    const redactor = new Redactor();
    redactor.register("s3cr3t-value");
    redactor.register("s3cr3t-value-longer");
    expect(redactor.redact("a s3cr3t-value-longer and s3cr3t-value")).toBe("a *** and ***");
  });

  it("registers env values under secret-like keys, token-like values and credential URLs, not plain settings", () => {
    const redactor = new Redactor();
    redactor.registerAll({
      API_KEY: "none-but-secret",
      LOG_LEVEL: "info",
      PRECISION: "6",
      SESSION: "abcdefghijklmnopqrstuvwxyz012345",
      DB: "postgres://u:pw@db/x",
      DATA_DIR: "/var/lib/data",
    });
    expect(redactor.redact("none-but-secret info 6 abcdefghijklmnopqrstuvwxyz012345 postgres://u:pw@db/x /var/lib/data")).toBe(
      "*** info 6 *** *** /var/lib/data",
    );
  });

  it("masks secret-named keys and registered values in nested values", () => {
    const redactor = new Redactor();
    redactor.register("hunter22");
    expect(redactor.redactValue({ password: "x", nested: [{ note: "pw is hunter22" }], count: 3 })).toEqual({
      password: "***",
      nested: [{ note: "pw is ***" }],
      count: 3,
    });
  });

  it("ignores values too short to mask safely", () => {
    const redactor = new Redactor();
    redactor.register("ab");
    expect(redactor.redact("ab cd")).toBe("ab cd");
  });
});
