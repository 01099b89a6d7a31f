import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createMetrics } from "../../src/observability/metrics.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { REGISTRY_TOOL_DEFINITIONS } from "../../src/transports/registry-tools.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";

/**
 * The docs' reference tables against the code: README's "Tools the hangar offers" names every
 * registry tool the hangar lists, and the metric tables of README.md and docs/metrics.md name
 * every metric the hangar renders — no more, no fewer.
 */

function tableNames(file: string, pattern: RegExp): string[] {
  const text = readFileSync(join(REPO_ROOT, file), "utf8");
  const rows = text.split("\n").filter((line) => line.startsWith("| `"));
  // A row's first cell; `a` / `b` rows name two.
  return rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? "")).filter((name) => pattern.test(name));
}

function sorted(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

describe("reference tables in the docs", () => {
  it("README's tool table names exactly the registry tools the hangar lists", () => {
    expect(sorted(tableNames("README.md", /^registry_/))).toEqual(sorted(REGISTRY_TOOL_DEFINITIONS.map((tool) => tool.name)));
  });

  const runtime = new HangarRuntime({ source: "docs.yaml", expose: "both", providers: [testSpec({ id: "a" })] }, { connection: instantConnection });
  const metrics = createMetrics(runtime.events, runtime, { defaultMetrics: false });
  afterAll(async () => {
    metrics.close();
    await runtime.shutdown();
  });

  it.each(["README.md", "docs/metrics.md"])("%s's metric table names exactly the metrics the hangar renders", async (file) => {
    const rendered = [...(await metrics.render()).matchAll(/^# TYPE (mcp_hangar_\w+) /gm)].map((match) => match[1] ?? "");
    expect(rendered.length).toBeGreaterThan(10);
    expect(sorted(tableNames(file, /^mcp_hangar_/))).toEqual(sorted(rendered));
  });
});
