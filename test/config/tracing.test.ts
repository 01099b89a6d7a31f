import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { resolveTracingSettings } from "../../src/observability/tracing/config.js";
import { configProblems } from "../helpers/config-problems.js";

const PROVIDERS = "providers:\n  math: { command: [node, math.js] }\n";

function observability(yaml: string, env: Record<string, string> = {}) {
  const config = parseConfig(`${PROVIDERS}${yaml}`, "hangar.yaml", env);
  if (config.observability === undefined) throw new Error("the loader always sets observability");
  return config.observability;
}


describe("observability.tracing and observability.langfuse", () => {
  it("are absent unless written, and tracing is then off (nothing to load)", () => {
    const spec = observability("");
    expect(spec.tracing).toBeUndefined();
    expect(spec.langfuse).toBeUndefined();
    expect(resolveTracingSettings(spec, {})).toBeUndefined();
  });

  it("take the issue's example, interpolated", () => {
    const spec = observability(
      [
        "observability:",
        "  tracing:",
        "    enabled: true",
        "    otlp_endpoint: ${OTEL_EXPORTER_OTLP_ENDPOINT:-http://localhost:4318}",
        "    service_name: mcp-hangar",
        "    sample_ratio: 1.0",
        "  langfuse:",
        "    enabled: true",
        "    public_key: ${LANGFUSE_PUBLIC_KEY:-}",
        "    secret_key: ${LANGFUSE_SECRET_KEY:-}",
        "    host: https://cloud.langfuse.com",
        "    capture_inputs: false",
        "    capture_outputs: false",
        "",
      ].join("\n"),
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", LANGFUSE_PUBLIC_KEY: "pk-lf-1", LANGFUSE_SECRET_KEY: "sk-lf-1" },
    );
    expect(resolveTracingSettings(spec, {})).toEqual({
      otlp: { tracesUrl: "http://collector:4318/v1/traces" },
      langfuse: {
        enabled: true,
        publicKey: "pk-lf-1",
        secretKey: "sk-lf-1",
        host: "https://cloud.langfuse.com",
        captureInputs: false,
        captureOutputs: false,
      },
      serviceName: "mcp-hangar",
      sampleRatio: 1,
      probeSampleRatio: 0,
    });
  });

  it("fills what the config leaves out from OTEL_*, and obeys MCP_TRACING_ENABLED and OTEL_SDK_DISABLED", () => {
    const none = observability("");
    expect(resolveTracingSettings(none, { MCP_TRACING_ENABLED: "true" })).toEqual({
      otlp: { tracesUrl: "http://localhost:4318/v1/traces" },
      langfuse: undefined,
      serviceName: "mcp-hangar",
      sampleRatio: 1,
      probeSampleRatio: 0,
    });
    expect(
      resolveTracingSettings(none, {
        MCP_TRACING_ENABLED: "1",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://base:4318",
        OTEL_SERVICE_NAME: "gateway",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: "0.25",
      }),
    ).toMatchObject({ otlp: { tracesUrl: "http://base:4318/v1/traces" }, serviceName: "gateway", sampleRatio: 0.25 });
    // The signal-specific variable is a full URL already.
    expect(
      resolveTracingSettings(none, { MCP_TRACING_ENABLED: "true", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom" })?.otlp,
    ).toEqual({ tracesUrl: "http://traces:4318/custom" });

    const on = observability("observability:\n  tracing: { enabled: true, otlp_endpoint: http://mine:4318, sample_ratio: 0.5 }\n");
    // The config wins over OTEL_* for what it says.
    expect(resolveTracingSettings(on, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://other:4318", OTEL_TRACES_SAMPLER_ARG: "0.1" })).toMatchObject({
      otlp: { tracesUrl: "http://mine:4318/v1/traces" },
      sampleRatio: 0.5,
    });
    // Switches for operators.
    expect(resolveTracingSettings(on, { MCP_TRACING_ENABLED: "false" })).toBeUndefined();
    expect(resolveTracingSettings(on, { OTEL_SDK_DISABLED: "true" })).toBeUndefined();
  });

  it("runs Langfuse without OTLP when only Langfuse is enabled", () => {
    const spec = observability("observability:\n  langfuse: { enabled: true, public_key: pk, secret_key: sk-lf-99 }\n");
    const settings = resolveTracingSettings(spec, {});
    expect(settings?.otlp).toBeUndefined();
    expect(settings?.langfuse?.host).toBe("https://cloud.langfuse.com");
  });

  it("reports problems at their line: missing Langfuse keys, bad URLs and ratios, unknown keys", () => {
    expect(
      configProblems(
        [
          PROVIDERS.trimEnd(),
          "observability:",
          "  tracing:",
          "    otlp_endpoint: localhost:4318",
          "    sample_ratio: 2",
          "    servce_name: x",
          "  langfuse:",
          "    enabled: true",
          '    public_key: ""',
          "",
        ].join("\n"),
        "hangar.yaml",
      ),
    ).toEqual([
      "hangar.yaml:5:20: observability.tracing.otlp_endpoint: must be an http:// or https:// URL, such as http://localhost:4318",
      "hangar.yaml:6:19: observability.tracing.sample_ratio: must be at most 1",
      "hangar.yaml:7:5: observability.tracing: unknown key 'servce_name' — did you mean 'service_name'?",
      // A key that is not written at all is reported at its section.
      "hangar.yaml:9:5: observability.langfuse.secret_key: 'secret_key' is required when langfuse is enabled (e.g. secret_key: ${LANGFUSE_SECRET_KEY})",
      "hangar.yaml:10:17: observability.langfuse.public_key: 'public_key' is required when langfuse is enabled (e.g. public_key: ${LANGFUSE_PUBLIC_KEY})",
    ]);
  });
});
