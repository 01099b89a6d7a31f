import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseConfig } from "../../src/config/load.js";
import type { HangarConfig } from "../../src/config/types.js";
import { yaml } from "../helpers/config-problems.js";

function load(...lines: string[]): HangarConfig {
  return parseConfig(yaml(...lines), "hangar.yaml", {});
}

function problems(...lines: string[]): string[] {
  try {
    load(...lines);
  } catch (error) {
    if (error instanceof ConfigError) return error.format().split("\n");
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("passthrough_names", () => {
  it("defaults to false and is read per provider", () => {
    const config = load("providers:", "  a:", "    command: [x]", "  b:", "    command: [y]", "    passthrough_names: true");
    expect(config.providers.map((spec) => [spec.id, spec.passthroughNames === true])).toEqual([
      ["a", false],
      ["b", true],
    ]);
  });

  it("refuses a kept name that another provider's listed tool already takes, naming file, line and field", () => {
    const lines = problems(
      "providers:",
      "  a:",
      "    command: [x]",
      "    passthrough_names: true",
      "    tools: [{ name: b__add }]",
      "  b:",
      "    command: [y]",
      "    tools: [{ name: add }]",
    );
    expect(lines.join("\n")).toMatch(/hangar\.yaml:\d+:\d+: providers\.b\.tools: tool 'add' of 'b' would be listed as 'b__add', which 'a' already lists/);
  });

  it("refuses registry_* names and two passthrough providers that do not list their tools", () => {
    const reserved = problems("providers:", "  a:", "    command: [x]", "    passthrough_names: true", "    tools: [{ name: registry_list }]");
    expect(reserved.join("\n")).toMatch(/providers\.a\.tools\[0\]\.name: .*registry_\* names belong to the hangar/);

    const unlisted = problems(
      "providers:",
      "  a:",
      "    command: [x]",
      "    passthrough_names: true",
      "  b:",
      "    command: [y]",
      "    passthrough_names: true",
      "    tools: [{ name: add }]",
    );
    expect(unlisted.join("\n")).toMatch(/hangar\.yaml:4:\d+: providers\.a\.passthrough_names: 2 providers \(a, b\) set passthrough_names: true; then each must list its tools/);

    const clash = problems(
      "providers:",
      "  a:",
      "    command: [x]",
      "    passthrough_names: true",
      "    tools: [{ name: add }]",
      "  b:",
      "    command: [y]",
      "    passthrough_names: true",
      "    tools: [{ name: add }]",
    );
    expect(clash.join("\n")).toMatch(/providers\.b\.passthrough_names: tool 'add' of 'b' would be listed as 'add', which 'a' already lists/);
  });
});
