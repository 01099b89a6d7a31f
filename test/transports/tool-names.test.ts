import { describe, expect, it } from "vitest";
import { flatToolName } from "../../src/transports/tool-names.js";

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

describe("flat tool names", () => {
  it("joins provider and tool with __ when the result is a valid client name", () => {
    expect(flatToolName("math", "add")).toBe("math__add");
    expect(flatToolName("everything", "get-tiny-image")).toBe("everything__get-tiny-image");
  });

  it("maps long or invalid names to 55 valid characters, _, and 8 hex digits of a hash", () => {
    const long = flatToolName("provider", "x".repeat(80));
    expect(long).toMatch(VALID);
    expect(long).toHaveLength(64);
    expect(long.slice(0, 55)).toBe(`provider__${"x".repeat(45)}`);
    expect(long.slice(55)).toMatch(/^_[0-9a-f]{8}$/);

    const dotted = flatToolName("fs", "read.file");
    expect(dotted).toMatch(VALID);
    expect(dotted.startsWith("fs__read_file_")).toBe(true);
  });

  it("is stable, and distinct for names that differ only in replaced characters", () => {
    expect(flatToolName("fs", "read.file")).toBe(flatToolName("fs", "read.file"));
    expect(flatToolName("fs", "read.file")).not.toBe(flatToolName("fs", "read/file"));
  });
});
