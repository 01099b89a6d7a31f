import { describe, expect, it } from "vitest";
import { providerMachine } from "../../src/machines/provider.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { chartToMermaid, stateValuePaths } from "../../src/tools/chart-diagram.js";
import { providerChartMermaid } from "../../src/tools/provider-chart.js";
import { callRegistryTool } from "../../src/transports/registry-tools.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";

/** The `class X active` lines of a diagram. */
function highlighted(mermaid: string): string[] {
  return [...mermaid.matchAll(/^ {2}class (\S+) active$/gm)].map((match) => match[1] ?? "");
}

describe("provider chart with its current states highlighted", () => {
  it("turns a state value into leaf paths", () => {
    expect(stateValuePaths({ lifecycle: "COLD", breaker: "CLOSED" })).toEqual(["lifecycle.COLD", "breaker.CLOSED"]);
    expect(stateValuePaths({ lifecycle: { running: { serving: { health: "READY", probe: "waiting" } } } })).toEqual([
      "lifecycle.running.serving.health.READY",
      "lifecycle.running.serving.probe.waiting",
    ]);
    expect(stateValuePaths("idle")).toEqual(["idle"]);
  });

  it("adds a classDef and a class line per active simple state (composite and unknown states skipped)", () => {
    const mermaid = chartToMermaid(providerMachine, { active: ["lifecycle.COLD", "breaker.CLOSED", "lifecycle.running", "lifecycle.NOPE"] });
    expect(mermaid).toMatch(/^ {2}classDef active fill:#[0-9a-f]{6}/m);
    expect(highlighted(mermaid)).toEqual(["COLD", "CLOSED"]);
    expect(chartToMermaid(providerMachine)).not.toContain("classDef");
  });

  it("registry_status { chart } returns the provider's chart with the states it is in now", async () => {
    const runtime = new HangarRuntime(
      { source: "test.yaml", expose: "both", providers: [testSpec({ id: "math" })] },
      { connection: instantConnection },
    ).start();
    const catalogue = new ToolCatalogue(runtime);
    const extra = { signal: new AbortController().signal, meta: undefined };
    const status = async (): Promise<string> => {
      const result = await callRegistryTool("registry_status", { chart: "math" }, { runtime, catalogue }, extra);
      const item = result.content[0];
      return item?.type === "text" ? item.text : "";
    };

    const cold = await status();
    expect(cold.startsWith("stateDiagram-v2\n")).toBe(true);
    expect(cold).toContain('%% provider "math" is now in: COLD, CLOSED');
    expect(highlighted(cold)).toEqual(["COLD", "CLOSED"]);

    await runtime.invoke("math", "add", { a: 1, b: 2 });
    const ready = await status();
    expect(highlighted(ready)).toEqual(["READY", "CLOSED"]);
    expect(ready).toContain("class READY active");
    expect(providerChartMermaid("math", runtime.stateValue("math") ?? "")).toBe(ready);

    await expect(callRegistryTool("registry_status", { chart: "nope" }, { runtime, catalogue }, extra)).rejects.toThrow(/unknown provider 'nope'/);
    // Without `chart`, still the dashboard.
    const dashboard = await callRegistryTool("registry_status", {}, { runtime, catalogue }, extra);
    expect(dashboard.content[0]?.type === "text" && dashboard.content[0].text).toMatch(/^mcp-hangar: /);
    catalogue.close();
    await runtime.shutdown();
  });
});
