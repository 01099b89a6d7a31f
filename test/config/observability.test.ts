import { describe, expect, it } from "vitest";
import { observabilityOf, parseConfig } from "../../src/config/load.js";
import { configProblems } from "../helpers/config-problems.js";

const PROVIDERS = "providers:\n  math: { command: [node, math.js] }\n";

function problems(text: string): string[] {
  return configProblems(text, "hangar.yaml");
}

describe("observability.metrics", () => {
  it("defaults to enabled at /metrics, with or without the section", () => {
    expect(parseConfig(PROVIDERS, "hangar.yaml", {}).observability).toEqual({ metrics: { enabled: true, endpoint: "/metrics" } });
    expect(parseConfig(`${PROVIDERS}observability: {}\n`, "hangar.yaml", {}).observability).toEqual({
      metrics: { enabled: true, endpoint: "/metrics" },
    });
    // A config built by hand (tests, embedding) gets the same defaults.
    expect(observabilityOf({ source: "x.yaml", expose: "both", providers: [] })).toEqual({ metrics: { enabled: true, endpoint: "/metrics" } });
  });

  it("takes enabled and endpoint, interpolated like every value", () => {
    const config = parseConfig(
      `${PROVIDERS}observability:\n  metrics:\n    enabled: "\${METRICS:-false}"\n    endpoint: /internal/metrics\n`,
      "hangar.yaml",
      {},
    );
    expect(config.observability).toEqual({ metrics: { enabled: false, endpoint: "/internal/metrics" } });
  });

  it("reports every problem at its line and column, suggesting keys", () => {
    expect(
      problems(
        [
          PROVIDERS.trimEnd(),
          "observability:",
          "  metrics:",
          "    enabled: maybe",
          "    endpoint: metrics",
          "    endpont: /x",
          "  metric: {}",
          "",
        ].join("\n"),
      ),
    ).toEqual([
      "hangar.yaml:5:14: observability.metrics.enabled: expected true or false, got a string",
      "hangar.yaml:6:15: observability.metrics.endpoint: must be a URL path starting with '/' (no spaces, '?' or '#'), such as /metrics",
      "hangar.yaml:7:5: observability.metrics: unknown key 'endpont' — did you mean 'endpoint'?",
      "hangar.yaml:8:3: observability: unknown key 'metric' — did you mean 'metrics'?",
    ]);
  });
});
