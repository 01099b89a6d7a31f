import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

/** The Docker source's `labels` option: read into the label matches the engine filters by, or refused naming line and field. */
function dockerSource(...labelLines: string[]): string {
  return yaml("discovery:", "  sources:", "    - type: docker", ...labelLines);
}

describe("discovery.sources[].labels (Docker)", () => {
  it("reads a map of label → value; true or \"\" mean present with any value, numbers are text", () => {
    const config = parseConfig(dockerSource("      labels:", "        team: payments", "        hangar.scoped: true", '        env: ""', "        tier: 2"), "hangar.yaml", {});
    expect(config.discovery?.[0]).toMatchObject({
      type: "docker",
      labels: [
        { key: "team", value: "payments" },
        { key: "hangar.scoped", value: undefined },
        { key: "env", value: undefined },
        { key: "tier", value: "2" },
      ],
    });
  });

  it("without labels the source is not scoped", () => {
    expect(parseConfig(dockerSource("      address: published"), "hangar.yaml", {}).discovery?.[0]).toMatchObject({ labels: [] });
  });

  it("refuses false, a list, a name with '=' and an empty map, naming file, line and field", () => {
    expect(configProblems(dockerSource("      labels:", "        team: false"), "hangar.yaml")[0]).toMatch(/^hangar\.yaml:5:\d+: discovery\.sources\[0\]\.labels\.team: .*true \(or ""\)/);
    expect(configProblems(dockerSource("      labels: [team=payments]"), "hangar.yaml")[0]).toMatch(/^hangar\.yaml:4:\d+: discovery\.sources\[0\]\.labels: /);
    expect(configProblems(dockerSource("      labels:", "        team=x: payments"), "hangar.yaml").join("\n")).toMatch(/hangar\.yaml:5:\d+: discovery\.sources\[0\]\.labels.*without '='/);
    expect(configProblems(dockerSource("      labels: {}"), "hangar.yaml")[0]).toMatch(/^hangar\.yaml:4:\d+: discovery\.sources\[0\]\.labels: name at least one label/);
  });
});
