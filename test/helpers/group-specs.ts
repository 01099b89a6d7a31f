import type { GroupSpec } from "../../src/config/types.js";

/** A group spec with the config defaults, for chart tests that need no file. */
export function testGroupSpec(overrides: Partial<GroupSpec> = {}): GroupSpec {
  return {
    id: "g",
    strategy: "round_robin",
    minHealthy: 1,
    members: [
      { id: "a", weight: 1, priority: 1 },
      { id: "b", weight: 1, priority: 2 },
    ],
    failover: { autoFailback: true, failbackDelayS: 30 },
    retryOnMemberFailure: "auto",
    maxAttempts: 2,
    ...overrides,
  };
}
