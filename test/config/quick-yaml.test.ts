import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../../src/config/load.js";
import { quickLoad } from "../../src/config/quick-yaml.js";

/**
 * quickLoad must read every text it accepts exactly as `yaml` (YAML 1.2, core schema) does, and
 * leave to `yaml` what it cannot be sure of. A comment holding ` &` sends a text down `yaml`'s
 * path (quickLoad takes it for an anchor), so both paths can be compared on the same config.
 */
const ROOT = join(import.meta.dirname, "..", "..");
const YAML_PATH = "\n# & read by yaml\n";

function configFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe("quickLoad", () => {
  const scalars = [
    "12", "+12", "-0", "0o17", "0x1F", "017", "1_000", "0b101", "1e3", "1.5", ".5", "1.", "-.5e3", "+.5", "0.1e-2",
    ".inf", "-.Inf", "+.INF", ".NaN", ".nan", "~", "null", "Null", "NULL", "", "true", "True", "TRUE", "false",
    "yes", "no", "on", "off", "y", "2001-12-14", "12:30:00", "1:20", "'quoted'", '"esc\\n\\u00e9"', "!!str 12",
    "!!int 12", "!!float 1.5", "plain text # comment", "[1, '2', three]", "{a: 1, b: [x]}", "|\n  line\n  two\n",
    ">-\n  folded\n  text\n", "${HOME}", "pa$word",
  ];
  it.each(scalars)("reads %j as yaml does", (scalar) => {
    const text = `value: ${scalar}\n`;
    expect(quickLoad(text)).toEqual(parse(text));
  });

  it("reads the example configs as yaml does", () => {
    const files = configFiles(join(ROOT, "examples"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(quickLoad(text), file).toEqual(parse(text));
    }
  });

  it.each([
    ["an anchor", "base: &base { a: 1 }\nother: *base\n"],
    ["a directive", "%YAML 1.1\n---\nvalue: yes\n"],
    ["a complex key", "? [a, b]\n: c\n"],
    ["invalid YAML", "value: [unclosed\n"],
    ["a duplicate key", "value: 1\nvalue: 2\n"],
    ["several documents", "a: 1\n---\nb: 2\n"],
    ["an unknown tag", "value: !secret x\n"],
    ["a tag its value does not fit (yaml only warns)", "value: !!float 1\n"],
  ])("leaves %s to yaml", (_what, text) => {
    expect(quickLoad(text)).toBeUndefined();
  });
});

describe("parseConfig's two paths", () => {
  it("give the same config, quick or through yaml's document model", () => {
    const providers = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [
        `p${i}`,
        {
          command: ["node", "server.js", "--port", String(8000 + i)],
          env: { TOKEN: "${TOKEN:-none}", LEVEL: 3 },
          idle_ttl_s: 30 + i,
          tools: [{ name: "echo", description: "Echoes", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
        },
      ]),
    );
    const json = JSON.stringify({ providers, expose: "both" }, null, 1);
    const block = `providers:\n  a:\n    command: [node, a.js]\n    env:\n      KEY: \${KEY:-x}\n    circuit_breaker:\n      failure_threshold: 3\n  b:\n    mode: remote\n    url: https://example.com/mcp\n`;
    for (const text of [json, block]) {
      expect(parseConfig(text, "/srv/hangar.yaml", { TOKEN: "t" })).toEqual(parseConfig(text + YAML_PATH, "/srv/hangar.yaml", { TOKEN: "t" }));
    }
  });

  it("reports a problem at its line whichever path read the text first", () => {
    const text = "providers:\n  a:\n    command: [node, a.js]\n    idle_ttl_s: soon\n";
    expect(() => parseConfig(text, "/srv/hangar.yaml", {})).toThrow(/hangar\.yaml:4/);
    const unset = "providers:\n  a:\n    command: [node, '${NOT_SET_ANYWHERE}']\n";
    expect(() => parseConfig(unset, "/srv/hangar.yaml", {})).toThrow(/hangar\.yaml:3.*NOT_SET_ANYWHERE/s);
  });
});
