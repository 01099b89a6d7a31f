import { describe, expect, it } from "vitest";
import { parseByteSize } from "../../src/config/byte-size.js";

describe("parseByteSize", () => {
  it("reads decimal units as powers of 1000 and binary ones as powers of 1024", () => {
    expect(parseByteSize("1KB")).toBe(1000);
    expect(parseByteSize("1MB")).toBe(1_000_000);
    expect(parseByteSize("2GB")).toBe(2_000_000_000);
    expect(parseByteSize("1TB")).toBe(1e12);
    expect(parseByteSize("512KiB")).toBe(512 * 1024);
    expect(parseByteSize("16MiB")).toBe(16_777_216);
    expect(parseByteSize("1GiB")).toBe(2 ** 30);
    expect(parseByteSize("1TiB")).toBe(2 ** 40);
  });

  it("takes plain bytes, spaces, any letter case and surrounding blanks", () => {
    expect(parseByteSize("4096")).toBe(4096);
    expect(parseByteSize("10B")).toBe(10);
    expect(parseByteSize("16 MiB")).toBe(16_777_216);
    expect(parseByteSize("  1mb ")).toBe(1_000_000);
    expect(parseByteSize("64kib")).toBe(65_536);
  });

  it("computes fractions exactly and leaves a fraction of a byte to the caller", () => {
    expect(parseByteSize("1.1KB")).toBe(1100);
    expect(parseByteSize("1.5MiB")).toBe(1_572_864);
    expect(parseByteSize(".5KiB")).toBe(512);
    expect(parseByteSize("1.KB")).toBe(1000);
    expect(parseByteSize("1.5B")).toBe(1.5);
  });

  it("refuses what is not a size", () => {
    for (const text of ["", "MiB", "16 megs", "16M", "1K", "1 MiB MiB", "-1MB", "1e3KB", "1,5MB", "0x10", "16MiBs", "1..5MB"]) {
      expect(parseByteSize(text), text).toBeUndefined();
    }
  });
});
