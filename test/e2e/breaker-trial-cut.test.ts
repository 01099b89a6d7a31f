import { describe, expect, it } from "vitest";
import { callTool, invoke, textOf } from "../helpers/cli.js";
import { failureKind, faultyProvider, untilDetails, useFaultSuite } from "../helpers/resilience.js";

/**
 * The chaos run's lost trial (CHAOS_SEED=1879166838), made deterministic: registry_stop while the
 * HALF_OPEN breaker's only trial call runs. The stop ends the connection, so the trial never
 * reports back; the breaker must free the slot rather than refuse every later call for ever
 * ("HALF_OPEN and its trial call is under way").
 */
const suite = useFaultSuite();

describe("circuit breaker: a trial call cut by a stop", () => {
  it("frees the trial slot: the next call after the stop is the trial and closes the breaker", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { call_timeout_s: 0.3, circuit_breaker: { failure_threshold: 1, reset_timeout_s: 0.5, half_open_max_calls: 1 } }),
    );
    const { client } = pair;
    await callTool(client, "registry_start", { provider: "bad" });
    expect(failureKind(await invoke(client, "bad", "slow", { ms: 5_000 }))).toBe("timeout");
    await untilDetails(client, "bad", (info) => info.circuit_breaker?.state === "HALF_OPEN", 4_000, "the breaker to half-open");

    // The trial call is under way (a generous timeout of its own) when the provider is stopped.
    const trial = invoke(client, "bad", "slow", { ms: 5_000 }, 10);
    await untilDetails(client, "bad", (info) => info.in_flight === 1, 3_000, "the trial call to be in flight");
    await callTool(client, "registry_stop", { provider: "bad" });
    const cut = await trial;
    expect(cut.isError).toBe(true);
    const stopped = await untilDetails(client, "bad", (info) => info.state === "COLD", 3_000, "the provider to stop");
    expect(stopped.circuit_breaker?.state).toBe("HALF_OPEN");

    // The stop decided nothing: this call is the new trial (it starts the provider), and it closes the breaker.
    const next = await invoke(client, "bad", "slow", { ms: 1 }, 5);
    expect(textOf(next)).toBe("slept 1");
    await untilDetails(client, "bad", (info) => info.circuit_breaker?.state === "CLOSED" && info.state === "READY", 3_000, "the breaker to close");
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });
});
