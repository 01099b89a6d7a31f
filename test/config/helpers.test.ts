import { describe, expect, it } from "vitest";
import { ConfigError, formatIssue } from "../../src/config/errors.js";
import { interpolateString } from "../../src/config/interpolate.js";
import { closestMatch, editDistance } from "../../src/config/suggest.js";

describe("closestMatch", () => {
  const keys = ["mode", "command", "env", "inherit_env", "cwd", "idle_ttl_s", "health_check_interval_s"];

  it("suggests a key one typo away", () => {
    expect(closestMatch("idle_tl_s", keys)).toBe("idle_ttl_s");
    expect(closestMatch("comand", keys)).toBe("command");
    expect(closestMatch("idel_ttl_s", keys)).toBe("idle_ttl_s");
  });

  it("maps another case style to the same name", () => {
    expect(closestMatch("inheritEnv", keys)).toBe("inherit_env");
    expect(closestMatch("input_schema", ["name", "inputSchema"])).toBe("inputSchema");
  });

  it("suggests nothing for a word that is not close", () => {
    expect(closestMatch("colour", keys)).toBeUndefined();
    expect(closestMatch("x", keys)).toBeUndefined();
  });

  it("counts a transposition as one edit", () => {
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("interpolateString", () => {
  it("substitutes, defaults and escapes", () => {
    expect(interpolateString("${A}-${B:-b}-$${C}-$D-$", { A: "a" })).toEqual({ value: "a-b-${C}-$D-$", problems: [] });
  });

  it("treats a set-but-empty variable as empty without a default and as unset with one", () => {
    expect(interpolateString("[${E}][${E:-d}]", { E: "" })).toEqual({ value: "[][d]", problems: [] });
  });

  it("reports each missing variable", () => {
    expect(interpolateString("${X}${Y}", {}).problems).toEqual([
      "environment variable X is not set; set it or write ${X:-default}",
      "environment variable Y is not set; set it or write ${Y:-default}",
    ]);
  });
});

describe("ConfigError", () => {
  it("sorts issues by position and prints one line each", () => {
    const error = new ConfigError([
      { file: "h.yaml", line: 4, column: 5, path: "providers.math", message: "second" },
      { file: "h.yaml", line: 2, column: 9, path: "", message: "first" },
    ]);
    expect(error.format()).toBe("h.yaml:2:9: first\nh.yaml:4:5: providers.math: second");
    expect(error.name).toBe("ConfigError");
  });

  it("prints an issue without a position as file: message", () => {
    expect(formatIssue({ file: "h.yaml", path: "", message: "cannot read" })).toBe("h.yaml: cannot read");
  });
});
