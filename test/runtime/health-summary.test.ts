import { describe, expect, it } from "vitest";
import type { ProviderView } from "../../src/machines/provider-view.js";
import { summarizeHealth } from "../../src/runtime/health-summary.js";
import type { ProviderStateName } from "../../src/shared/domain-events.js";

function view(id: string, state: ProviderStateName, lastError?: ProviderView["lastError"]): ProviderView {
  return {
    id,
    mode: "subprocess",
    description: undefined,
    state,
    pid: undefined,
    uptimeS: undefined,
    inFlight: 0,
    queued: 0,
    stats: { calls: 0, failures: lastError ? 1 : 0, starts: 0, lastCallAt: undefined },
    lastError,
    tools: [],
    serverInfo: undefined,
    protocolVersion: undefined,
    stderrTail: [],
    command: ["node"],
    target: { mode: "subprocess", command: ["node"], cwd: "/" },
    idleTtlS: 300,
    health: { lastProbeAt: undefined, lastProbeOk: undefined, lastProbeMessage: undefined, consecutiveFailures: 0 },
    breaker: { state: "CLOSED", failures: 0, retryAt: undefined },
    recovery: { restartCount: 0, nextRestartAt: undefined },
  };
}

const crashed = { kind: "crash" as const, message: "exited with code 3", at: 0 };

describe("health summary", () => {
  it("is healthy when every provider is COLD without error, starting or READY", () => {
    const summary = summarizeHealth([view("a", "COLD"), view("b", "READY"), view("c", "INITIALIZING")]);
    expect(summary.status).toBe("healthy");
    expect(summary.byState).toMatchObject({ COLD: 1, READY: 1, INITIALIZING: 1 });
  });

  it("is degraded when some providers are DEGRADED, RECOVERING, DEAD or failed their last start", () => {
    expect(summarizeHealth([view("a", "READY"), view("b", "DEGRADED")]).status).toBe("degraded");
    expect(summarizeHealth([view("a", "READY"), view("b", "RECOVERING")]).status).toBe("degraded");
    const summary = summarizeHealth([view("a", "READY"), view("b", "COLD", crashed)]);
    expect(summary.status).toBe("degraded");
    expect(summary.unhealthy).toEqual(["b"]);
    expect(summary.details[1]?.lastError).toMatchObject({ kind: "crash", message: "exited with code 3" });
  });

  it("is failing when no provider is healthy", () => {
    expect(summarizeHealth([view("a", "DEAD"), view("b", "COLD", crashed)]).status).toBe("failing");
  });
});
