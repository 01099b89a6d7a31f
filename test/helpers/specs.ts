import type { ProviderSpec } from "../../src/config/types.js";

/** A provider spec with the config defaults, for chart tests that need no file. */
export function testSpec(overrides: Partial<ProviderSpec> = {}): ProviderSpec {
  return {
    id: "p",
    mode: "subprocess",
    command: ["node", "server.js"],
    env: {},
    inheritEnv: false,
    cwd: process.cwd(),
    idleTtlS: 300,
    healthCheckIntervalS: 60,
    maxConsecutiveFailures: 3,
    startupTimeoutS: 30,
    callTimeoutS: 30,
    shutdownGraceS: 5,
    tools: [],
    warm: false,
    ...overrides,
  };
}
