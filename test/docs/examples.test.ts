import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { ConfigError } from "../../src/config/errors.js";
import { parseConfig } from "../../src/config/load.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { docFiles, fencedBlocks, placeOf, type DocBlock } from "./doc-blocks.js";

/**
 * Every config example in README.md and docs/*.md goes through the real config loader
 * (src/config/load.ts), so the docs cannot drift from the schema. A block's fence says what it is:
 *
 *   ```yaml                a whole hangar config: it must load as it stands.
 *   ```yaml section        a part of one (say, only `http:`): it must load once a stand-in
 *                          provider is added (only when the block has no `providers` of its own).
 *   ```yaml invalid        a config shown for its error: the loader must refuse it.
 *   ```yaml not-config     another program's file (Prometheus, Kubernetes, …): it must be YAML.
 *   ```json                must be JSON; a package.json with "mcpHangar" is loaded as the
 *                          packages discovery source loads it (the other JSON blocks — client
 *                          configs — are checked by test/docs/command-lines.test.ts).
 *   ```json excerpt        shortened output (`…`, several documents): not checked (also jsonc).
 *
 * GitHub colours a fence by its first word only, so the markers do not show. `${VAR}` in the
 * examples reads EXAMPLE_ENV: a variable an example needs without a default must be listed there.
 */

const EXAMPLE_ENV: NodeJS.ProcessEnv = {
  HOME: "/home/user",
  WEATHER_TOKEN: "example-weather-token",
  GITHUB_TOKEN: "example-github-token",
  LANGFUSE_PUBLIC_KEY: "pk-lf-example",
  LANGFUSE_SECRET_KEY: "sk-lf-example",
};

const STAND_IN_PROVIDERS = "\nproviders:\n  stand-in:\n    command: [node, stand-in.js]\n";

/** The block's text placed at its own line, so the loader's `file:line:col` points into the doc. */
function atItsLine(block: DocBlock): string {
  return "\n".repeat(block.line - 1) + block.text;
}

function hasTopLevelProviders(text: string): boolean {
  return parseDocument(text).has("providers");
}

function load(block: DocBlock, text: string, root?: string): void {
  parseConfig(text, join(REPO_ROOT, block.file), EXAMPLE_ENV, root);
}

/** What the loader says about a block that must load: "" when it loads. */
function problemsOf(block: DocBlock, text: string, root?: string): string {
  try {
    load(block, text, root);
    return "";
  } catch (error) {
    if (error instanceof ConfigError) return error.message.replaceAll(REPO_ROOT + "/", "");
    throw error;
  }
}

const blocks = docFiles().flatMap(fencedBlocks);
const KNOWN_MARKERS: Record<string, string[]> = { yaml: ["section", "invalid", "not-config"], json: ["excerpt"], jsonc: ["excerpt"] };
const configLike = blocks.filter((block) => block.lang in KNOWN_MARKERS);

describe("config examples in the docs", () => {
  it("finds the docs' examples", () => {
    expect(configLike.filter((block) => block.lang === "yaml").length).toBeGreaterThan(10);
  });

  it("marks every yaml/json block with markers this test knows, at most one each", () => {
    const unknown = configLike
      .filter((block) => block.markers.length > 1 || block.markers.some((marker) => !(KNOWN_MARKERS[block.lang] ?? []).includes(marker)))
      .map((block) => `${placeOf(block)}: \`\`\`${block.lang} ${block.markers.join(" ")}`);
    expect(unknown).toEqual([]);
  });

  for (const block of configLike) {
    const kind = block.markers[0] ?? (block.lang === "yaml" ? "config" : block.lang === "jsonc" ? "excerpt" : "json");
    const name = `${placeOf(block)} (${block.lang} ${kind})`;
    switch (kind) {
      case "config":
        it(`${name} loads as a whole config`, () => {
          expect(problemsOf(block, atItsLine(block))).toBe("");
        });
        break;
      case "section":
        it(`${name} loads as part of a config`, () => {
          const text = hasTopLevelProviders(block.text) ? atItsLine(block) : atItsLine(block) + STAND_IN_PROVIDERS;
          expect(problemsOf(block, text)).toBe("");
        });
        break;
      case "invalid":
        it(`${name} is refused by the loader`, () => {
          expect(() => {
            load(block, atItsLine(block));
          }).toThrow(ConfigError);
        });
        break;
      case "not-config":
        it(`${name} is YAML`, () => {
          expect(parseDocument(block.text).errors.map((error) => error.message)).toEqual([]);
        });
        break;
      case "json":
        it(`${name} is JSON${block.text.includes('"mcpHangar"') ? " and its mcpHangar config loads" : ""}`, () => {
          const value: unknown = JSON.parse(block.text);
          if (typeof value === "object" && value !== null && "mcpHangar" in value) {
            expect(problemsOf(block, atItsLine(block), "mcpHangar")).toBe("");
          }
        });
        break;
      default:
        // excerpt: shortened output, nothing to check.
        break;
    }
  }
});

describe("example configs", () => {
  const examples = readdirSync(join(REPO_ROOT, "examples")).filter((name) => /\.ya?ml$/.test(name));

  it.each(examples)("examples/%s loads", (name) => {
    const file = join(REPO_ROOT, "examples", name);
    expect(() => parseConfig(readFileSync(file, "utf8"), file, {})).not.toThrow();
  });
});
