import type { ProviderCommonSpec, SubprocessProviderSpec } from "../../src/config/types.js";

/** A provider spec with the config defaults, for chart tests that need no file. */
export function testSpec(overrides: Partial<SubprocessProviderSpec> = {}): SubprocessProviderSpec {
  return {
    ...testCommonSpec(),
    mode: "subprocess",
    command: ["node", "server.js"],
    env: {},
    inheritEnv: false,
    cwd: process.cwd(),
    ...overrides,
  };
}

/** The keys every mode shares, with the config defaults. */
export function testCommonSpec(): ProviderCommonSpec {
  return {
    id: "p",
    idleTtlS: 300,
    healthCheckIntervalS: 60,
    maxConsecutiveFailures: 3,
    healthyThreshold: 1,
    circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30, halfOpenMaxCalls: 1 },
    restart: { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 },
    startupTimeoutS: 30,
    callTimeoutS: 30,
    maxCallS: 600,
    maxMessageBytes: 16 * 1024 * 1024,
    shutdownGraceS: 5,
    tools: [],
    warm: false,
  };
}
