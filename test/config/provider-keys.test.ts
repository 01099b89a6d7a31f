import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { parseConfig } from "../../src/config/load.js";
import type { ProviderSpec } from "../../src/config/types.js";
import { yaml } from "../helpers/config-problems.js";

/** The one provider `p` of a config holding `lines` (indented under it) besides its command. */
function provider(lines: string[], env: NodeJS.ProcessEnv = {}): ProviderSpec {
  const config = parseConfig(yaml("providers:", "  p:", "    command: [x]", ...lines.map((l) => `    ${l}`)), "hangar.yaml", env);
  const spec = config.providers[0];
  if (spec === undefined) throw new Error("no provider");
  return spec;
}

/** The formatted problems of a provider `p` holding `lines`; its keys start on line 4. */
function problems(lines: string[], env: NodeJS.ProcessEnv = {}): string[] {
  try {
    provider(lines, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.format().split("\n");
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("resilience keys", () => {
  it("are defaulted when absent", () => {
    const spec = provider([]);
    expect(spec).toMatchObject({
      healthCheckIntervalS: 60,
      maxConsecutiveFailures: 3,
      healthyThreshold: 1,
      circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30, halfOpenMaxCalls: 1 },
      restart: { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 },
      callTimeoutS: 30,
      maxCallS: 600,
      maxMessageBytes: 16 * 1024 * 1024,
      shutdownGraceS: 5,
    });
  });

  it("take every value given, numeric strings and interpolation included", () => {
    const spec = provider(
      [
        "health_check_interval_s: 10",
        "max_consecutive_failures: 2",
        "healthy_threshold: ${HEALTHY:-3}",
        "circuit_breaker: { failure_threshold: 7, reset_timeout_s: 2.5, half_open_max_calls: '2' }",
        "restart:",
        "  initial_delay_s: 0.5",
        "  max_delay_s: ${MAX_DELAY}",
        "  multiplier: 1",
        "  max_restarts: 0",
        "  window_s: 60",
        "call_timeout_s: 20",
        "max_call_s: 20",
        'max_message_bytes: "${MAX_BYTES:-512KiB}"',
        "shutdown_timeout_s: 1.5",
      ],
      { MAX_DELAY: "8" },
    );
    expect(spec).toMatchObject({
      healthCheckIntervalS: 10,
      maxConsecutiveFailures: 2,
      healthyThreshold: 3,
      circuitBreaker: { failureThreshold: 7, resetTimeoutS: 2.5, halfOpenMaxCalls: 2 },
      restart: { initialDelayS: 0.5, maxDelayS: 8, multiplier: 1, maxRestarts: 0, windowS: 60 },
      callTimeoutS: 20,
      maxCallS: 20,
      maxMessageBytes: 524_288,
      shutdownGraceS: 1.5,
    });
  });

  it("default the rest of a partly given circuit_breaker or restart", () => {
    const spec = provider(["circuit_breaker: { failure_threshold: 2 }", "restart:", "  max_restarts: 10", "  max_delay_s: 5"]);
    expect(spec.circuitBreaker).toEqual({ failureThreshold: 2, resetTimeoutS: 30, halfOpenMaxCalls: 1 });
    expect(spec.restart).toEqual({ initialDelayS: 1, maxDelayS: 5, multiplier: 2, maxRestarts: 10, windowS: 300 });
    expect(provider(["circuit_breaker: {}", "restart: {}"]).circuitBreaker.failureThreshold).toBe(5);
  });

  it("refuses out-of-range values", () => {
    expect(
      problems([
        "healthy_threshold: 0",
        "circuit_breaker: { failure_threshold: 1.5, reset_timeout_s: 0, half_open_max_calls: -1 }",
        "restart: { multiplier: 0.5, max_restarts: -1, window_s: 0 }",
        "max_call_s: -5",
      ]),
    ).toEqual([
      "hangar.yaml:4:24: providers.p.healthy_threshold: must be greater than 0",
      "hangar.yaml:5:43: providers.p.circuit_breaker.failure_threshold: must be a whole number",
      "hangar.yaml:5:65: providers.p.circuit_breaker.reset_timeout_s: must be greater than 0",
      "hangar.yaml:5:89: providers.p.circuit_breaker.half_open_max_calls: must be greater than 0",
      "hangar.yaml:6:28: providers.p.restart.multiplier: must be at least 1",
      "hangar.yaml:6:47: providers.p.restart.max_restarts: must be at least 0",
      "hangar.yaml:6:61: providers.p.restart.window_s: must be greater than 0",
      "hangar.yaml:7:17: providers.p.max_call_s: must be greater than 0",
    ]);
  });

  it("refuse a circuit_breaker or restart that is not a mapping", () => {
    expect(problems(["circuit_breaker: 5", "restart:"])).toEqual([
      "hangar.yaml:4:22: providers.p.circuit_breaker: expected a mapping, got a number",
      "hangar.yaml:5:5: providers.p.restart: expected a mapping, got nothing",
    ]);
  });
});

describe("unknown keys around the resilience keys", () => {
  it("inside circuit_breaker and restart are pointed at, with the intended key suggested", () => {
    expect(
      problems(["circuit_breaker:", "  failure_treshold: 3", "  resetTimeoutS: 10", "restart: { max_restart: 3, colour: red }"]),
    ).toEqual([
      "hangar.yaml:5:7: providers.p.circuit_breaker: unknown key 'failure_treshold' — did you mean 'failure_threshold'?",
      "hangar.yaml:6:7: providers.p.circuit_breaker: unknown key 'resetTimeoutS' — did you mean 'reset_timeout_s'?",
      "hangar.yaml:7:16: providers.p.restart: unknown key 'max_restart' — did you mean 'max_restarts'?",
      "hangar.yaml:7:32: providers.p.restart: unknown key 'colour'; valid keys are initial_delay_s, max_delay_s, multiplier, max_restarts, window_s",
    ]);
  });

  it("at the provider level suggest the new keys, or the section a key belongs in", () => {
    expect(
      problems([
        "healthy_treshold: 2",
        "circuit_braker: {}",
        "max_message_byte: 10",
        "shutdown_timeout: 3",
        "max_call: 60",
        "failure_threshold: 3",
        "max_delay_s: 9",
      ]),
    ).toEqual([
      "hangar.yaml:4:5: providers.p: unknown key 'healthy_treshold' — did you mean 'healthy_threshold'?",
      "hangar.yaml:5:5: providers.p: unknown key 'circuit_braker' — did you mean 'circuit_breaker'?",
      "hangar.yaml:6:5: providers.p: unknown key 'max_message_byte' — did you mean 'max_message_bytes'?",
      "hangar.yaml:7:5: providers.p: unknown key 'shutdown_timeout' — did you mean 'shutdown_timeout_s'?",
      "hangar.yaml:8:5: providers.p: unknown key 'max_call' — did you mean 'max_call_s'?",
      "hangar.yaml:9:5: providers.p: unknown key 'failure_threshold' — did you mean 'circuit_breaker.failure_threshold'?",
      "hangar.yaml:10:5: providers.p: unknown key 'max_delay_s' — did you mean 'restart.max_delay_s'?",
    ]);
  });
});

describe("cross-checks", () => {
  it("refuse a max_call_s below call_timeout_s, at max_call_s", () => {
    expect(problems(["call_timeout_s: 30", "max_call_s: 10"])).toEqual([
      "hangar.yaml:5:17: providers.p.max_call_s: max_call_s (10) must be at least call_timeout_s (30): progress can extend a call's timeout up to max_call_s, never below call_timeout_s",
    ]);
  });

  it("blame call_timeout_s when it exceeds the default max_call_s", () => {
    expect(problems(["call_timeout_s: 900"])).toEqual([
      "hangar.yaml:4:21: providers.p.call_timeout_s: call_timeout_s (900) is above max_call_s (default 600); set max_call_s to at least 900",
    ]);
    expect(provider(["call_timeout_s: 900", "max_call_s: 900"]).maxCallS).toBe(900);
  });

  it("refuse a restart max_delay_s below initial_delay_s", () => {
    expect(problems(["restart: { initial_delay_s: 10, max_delay_s: 5 }"])).toEqual([
      "hangar.yaml:4:50: providers.p.restart.max_delay_s: max_delay_s (5) must be at least initial_delay_s (10): restart delays start at initial_delay_s and grow up to max_delay_s",
    ]);
    expect(problems(["restart: { initial_delay_s: 120 }"])).toEqual([
      "hangar.yaml:4:33: providers.p.restart.initial_delay_s: initial_delay_s (120) is above max_delay_s (default 60); lower it or set max_delay_s to at least 120",
    ]);
  });

  it("are reported together with the other problems of the file", () => {
    expect(problems(["idle_ttl_s: soon", "max_call_s: 1", "call_timeout_s: 2", "restart: { max_delay_s: 0.5 }"])).toEqual([
      "hangar.yaml:4:17: providers.p.idle_ttl_s: expected a number, got a string",
      "hangar.yaml:5:17: providers.p.max_call_s: max_call_s (1) must be at least call_timeout_s (2): progress can extend a call's timeout up to max_call_s, never below call_timeout_s",
      "hangar.yaml:7:29: providers.p.restart.max_delay_s: max_delay_s (0.5) must be at least initial_delay_s (1): restart delays start at initial_delay_s and grow up to max_delay_s",
    ]);
  });

  it("skip values that are already wrong", () => {
    expect(problems(["call_timeout_s: -1", "max_call_s: soon"])).toEqual([
      "hangar.yaml:4:21: providers.p.call_timeout_s: must be greater than 0",
      "hangar.yaml:5:17: providers.p.max_call_s: expected a number, got a string",
    ]);
  });
});

describe("max_message_bytes", () => {
  it("takes a number of bytes or a size with a unit", () => {
    expect(provider(["max_message_bytes: 1048576"]).maxMessageBytes).toBe(1_048_576);
    expect(provider(['max_message_bytes: "2048"']).maxMessageBytes).toBe(2048);
    expect(provider(["max_message_bytes: 16MiB"]).maxMessageBytes).toBe(16_777_216);
    expect(provider(["max_message_bytes: 512KiB"]).maxMessageBytes).toBe(524_288);
    expect(provider(["max_message_bytes: 1MB"]).maxMessageBytes).toBe(1_000_000);
    expect(provider(["max_message_bytes: 1.5 MiB"]).maxMessageBytes).toBe(1_572_864);
  });

  it("refuses what is not a positive whole number of bytes", () => {
    expect(problems(["max_message_bytes: 16 megs"])).toEqual([
      "hangar.yaml:4:24: providers.p.max_message_bytes: '16 megs' is not a size; write a whole number of bytes or a size like 16MiB, 512KiB or 1MB (KB/MB/GB = 1000-based, KiB/MiB/GiB = 1024-based)",
    ]);
    expect(problems(["max_message_bytes: 16M"])[0]).toContain("'16M' is not a size");
    expect(problems(["max_message_bytes: 0KiB"])).toEqual([
      "hangar.yaml:4:24: providers.p.max_message_bytes: must be greater than 0",
    ]);
    expect(problems(["max_message_bytes: 1.5B"])).toEqual([
      "hangar.yaml:4:24: providers.p.max_message_bytes: must be a whole number of bytes",
    ]);
    expect(problems(["max_message_bytes: -1"])).toEqual([
      "hangar.yaml:4:24: providers.p.max_message_bytes: must be greater than 0",
    ]);
    expect(problems(["max_message_bytes: [1]"])).toEqual([
      "hangar.yaml:4:24: providers.p.max_message_bytes: expected a number, got a list",
    ]);
  });
});

describe("shutdown_timeout_s", () => {
  it("sets the shutdown grace, as does its alias shutdown_grace_s", () => {
    expect(provider(["shutdown_timeout_s: 2"]).shutdownGraceS).toBe(2);
    expect(provider(["shutdown_grace_s: 3"]).shutdownGraceS).toBe(3);
    expect(provider(['shutdown_grace_s: "${GRACE:-4}"']).shutdownGraceS).toBe(4);
  });

  it("refuses both at once, at the alias", () => {
    expect(problems(["shutdown_timeout_s: 2", "shutdown_grace_s: 3"])).toEqual([
      "hangar.yaml:5:5: providers.p: shutdown_grace_s is an alias of shutdown_timeout_s; give only one of them (shutdown_timeout_s)",
    ]);
  });

  it("checks the alias's value like the key's", () => {
    expect(problems(["shutdown_grace_s: 0"])).toEqual([
      "hangar.yaml:4:23: providers.p.shutdown_grace_s: must be greater than 0",
    ]);
  });
});
