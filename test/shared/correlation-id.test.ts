import { describe, expect, it } from "vitest";
import { newCorrelationId } from "../../src/shared/correlation-id.js";

/** RFC 9562's UUIDv7: version 7, variant 10. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 48-bit Unix time in ms a UUIDv7 starts with. */
function msOf(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

describe("correlation ids", () => {
  it("are UUIDv7 strings stamped with the time they were made", () => {
    const before = Date.now();
    const id = newCorrelationId();
    const after = Date.now();
    expect(id).toMatch(UUID_V7);
    expect(msOf(id)).toBeGreaterThanOrEqual(before);
    expect(msOf(id)).toBeLessThanOrEqual(after);
  });

  it("sort in the order they were made, across milliseconds", () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(newCorrelationId());
      // The next id in a later millisecond: within one, the order is the random part's.
      const made = Date.now();
      while (Date.now() === made);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it("never repeat, across refills of the random pool", () => {
    const ids = Array.from({ length: 10_000 }, () => newCorrelationId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // Random beyond the timestamp: 10,000 ids in a few ms differ there.
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(ids.length);
  });

  it("are random in every digit after the time and version, the variant's two bits included", () => {
    const ids = Array.from({ length: 4_000 }, () => newCorrelationId());
    const randomDigits = [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, i) => 24 + i)];
    for (const at of randomDigits) expect(new Set(ids.map((id) => id[at])).size, `digit ${at}`).toBe(16);
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(["8", "9", "a", "b"]));
  });
});
