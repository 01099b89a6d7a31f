import { describe, expect, it } from "vitest";
import { callTool, details, invoke, jsonOf, textOf } from "../helpers/cli.js";
import { waitForExit } from "../helpers/processes.js";
import { faultyProvider, timed, untilDetails, useFaultSuite } from "../helpers/resilience.js";

/**
 * Health probes against a real provider: pings that stop being answered make it DEGRADED (still
 * serving calls), pings answered again make it READY, all in the same process. Short intervals:
 * a probe every 0.2 s, each bounded by min(call_timeout_s, interval) = 0.2 s.
 */
const suite = useFaultSuite();

const FAST_PROBES = { health_check_interval_s: 0.2, max_consecutive_failures: 2, healthy_threshold: 2 };

describe("health probes", () => {
  it("unanswered pings → DEGRADED (calls still served), answered again → READY, same process", async () => {
    const pair = await suite.start((marker) =>
      // Answers the first ping, ignores the next 6, then answers again.
      faultyProvider(marker, { FAULT_PING_FAIL_AFTER: 1, FAULT_PING_RECOVER_AFTER: 6 }, FAST_PROBES),
    );
    const { client, hangar } = pair;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));

    const degraded = await untilDetails(client, "bad", (info) => info.state === "DEGRADED", 6_000, "DEGRADED");
    expect(degraded.health?.consecutive_failures).toBeGreaterThanOrEqual(2);
    expect(degraded.health?.last_probe_ok).toBe(false);
    expect(degraded.health?.last_probe_error).toMatch(/no answer to ping within 0\.2 s/);
    expect(degraded.health?.last_probe_at).toBeDefined();
    expect(degraded.pid).toBe(pid);
    // The breaker is not involved: probes are not calls.
    expect(degraded.circuit_breaker?.state).toBe("CLOSED");

    // Still serving while DEGRADED; the hangar's health summary says so.
    const served = await timed(invoke(client, "bad", "echo", { text: "degraded but here" }));
    expect(textOf(served.value)).toBe("degraded but here");
    expect(served.ms).toBeLessThan(2_000);
    // (Pings stay unanswered for about 2 s more: the summary still sees it DEGRADED.)
    const summary = jsonOf(await callTool(client, "registry_health"));
    expect(summary.status).toBe("degraded");
    expect(summary.unhealthy).toEqual(["bad"]);
    await pair.expectNeighbourAnswers();

    // Pings answered again: healthy_threshold good probes → READY, in the same process.
    const recovered = await untilDetails(client, "bad", (info) => info.state === "READY", 6_000, "READY again");
    expect(recovered.health?.consecutive_failures).toBe(0);
    expect(recovered.health?.last_probe_ok).toBe(true);
    expect(recovered.pid).toBe(pid);
    expect(recovered.restarts?.count ?? 0).toBe(0);
    await hangar.waitForStderr(/bad: READY → DEGRADED[\s\S]*bad: DEGRADED → READY/);
    expect(jsonOf(await callTool(client, "registry_health")).status).toBe("healthy");
    await pair.closeAndExpectNoProcesses();
  });

  it("a provider without ping is probed with tools/list and stays READY", async () => {
    const pair = await suite.start((marker) => faultyProvider(marker, { FAULT_NO_PING: 1 }, FAST_PROBES));
    const { client } = pair;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));
    // Several probes in a row pass (a failing one would reset last_probe_ok).
    const checks: string[] = [];
    await untilDetails(
      client,
      "bad",
      (info) => {
        if (info.health?.last_probe_at !== undefined && info.health.last_probe_ok === true) checks.push(info.health.last_probe_at);
        return new Set(checks).size >= 3;
      },
      6_000,
      "three passing probes",
    );
    const info = await details(client, "bad");
    expect(info.state).toBe("READY");
    expect(info.health?.consecutive_failures).toBe(0);
    expect(info.pid).toBe(pid);
    await pair.closeAndExpectNoProcesses();
  });

  it("probes are not calls: a probed provider still stops after idle_ttl_s", async () => {
    const pair = await suite.start((marker) => faultyProvider(marker, {}, { ...FAST_PROBES, idle_ttl_s: 1 }));
    const { client } = pair;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));
    const stopped = await untilDetails(client, "bad", (info) => info.state === "COLD", 1_000 + 4_000, "the idle stop");
    // Probes ran meanwhile (every 0.2 s), yet the idle timer was not reset.
    expect(stopped.health?.last_probe_at).toBeDefined();
    await waitForExit(pid, 3_000);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });
});
