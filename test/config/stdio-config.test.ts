import { describe, expect, it } from "vitest";
import { parseConfig, stdioSpecOf } from "../../src/config/load.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

const PROVIDERS = ["providers:", "  math: { command: [node, math.js] }"];

describe("stdio config", () => {
  it("defaults to a 10 s drain, with or without the section", () => {
    expect(parseConfig(yaml(...PROVIDERS), "/srv/hangar.yaml", {}).stdio).toEqual({ drainTimeoutS: 10 });
    expect(stdioSpecOf({ source: "/srv/hangar.yaml", expose: "both", providers: [] })).toEqual({ drainTimeoutS: 10 });
  });

  it("takes seconds (fractions and 0 too), also interpolated", () => {
    expect(parseConfig(yaml(...PROVIDERS, "stdio: { drain_timeout_s: 2.5 }"), "/srv/hangar.yaml", {}).stdio).toEqual({ drainTimeoutS: 2.5 });
    expect(parseConfig(yaml(...PROVIDERS, "stdio: { drain_timeout_s: 0 }"), "/srv/hangar.yaml", {}).stdio).toEqual({ drainTimeoutS: 0 });
    expect(parseConfig(yaml(...PROVIDERS, "stdio:", "  drain_timeout_s: ${DRAIN:-30}"), "/srv/hangar.yaml", {}).stdio).toEqual({ drainTimeoutS: 30 });
  });

  it("refuses bad values at their line, saying what is allowed, and suggests keys", () => {
    const at = (value: string): string => configProblems(yaml(...PROVIDERS, "stdio:", `  drain_timeout_s: ${value}`), "/srv/hangar.yaml").join("\n");
    expect(at("-1")).toMatch(/^\/srv\/hangar\.yaml:4:\d+: stdio\.drain_timeout_s: must be 0 \(shut down at once\) or more seconds$/m);
    expect(at("7200")).toMatch(/^\/srv\/hangar\.yaml:4:\d+: stdio\.drain_timeout_s: must be at most 3600 seconds \(an hour\)$/m);
    expect(at("soon")).toMatch(/^\/srv\/hangar\.yaml:4:\d+: stdio\.drain_timeout_s: must be a number of seconds, such as 10$/m);
    const typo = configProblems(yaml(...PROVIDERS, "stdio:", "  drain_timeout: 5"), "/srv/hangar.yaml").join("\n");
    expect(typo).toMatch(/hangar\.yaml:4:\d+: stdio: unknown key 'drain_timeout' — did you mean 'drain_timeout_s'\?/);
  });
});
