import { afterEach, describe, expect, it } from "vitest";
import { createActor, fromPromise, SimulatedClock, waitFor, type Actor } from "xstate";
import type { ProbeResult } from "../../src/machines/connection-protocol.js";
import { providerMachine, type HealthProbeInput, type ProviderInput } from "../../src/machines/provider.js";
import type { DomainEvent } from "../../src/shared/domain-events.js";
import { LineRing } from "../../src/shared/line-ring.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";

/**
 * serving's two timers (PROBE.DUE, IDLE.CHECK) are delayed events the chart raises to itself, so
 * they run on the actor system's clock: here a SimulatedClock, advanced by hand — no sleeping.
 */
const actors: Actor<typeof providerMachine>[] = [];
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

/** A probe that answers from `results` in turn (ok once they run out), counting how often it ran. */
function scriptedProbe(results: ProbeResult[], ran: { count: number }) {
  return fromPromise<ProbeResult, HealthProbeInput>(() => {
    ran.count += 1;
    return Promise.resolve(results.shift() ?? { ok: true, method: "ping", durationMs: 1 });
  });
}

function start(input: ProviderInput, clock: SimulatedClock, probe = scriptedProbe([], { count: 0 }), events: DomainEvent[] = []) {
  const actor = createActor(providerMachine.provide({ actors: { connection: instantConnection, healthProbe: probe } }), { input, clock });
  actor.on("*", (event) => events.push(event));
  actors.push(actor.start());
  return actor;
}

function call(actor: Actor<typeof providerMachine>): void {
  actor.send({ type: "INVOKE", call: { tool: "t", arguments: {}, correlationId: "c", reply: () => undefined } });
}

const state = (actor: Actor<typeof providerMachine>) => actor.getSnapshot().context.state;
const quietProbes = { healthCheckIntervalS: 3_600 };

describe("provider timers on a simulated clock", () => {
  it("stops after idle_ttl_s with nothing in flight, re-arming once for the time left when a call finished meanwhile", async () => {
    const clock = new SimulatedClock();
    const events: DomainEvent[] = [];
    const actor = start({ spec: testSpec({ ...quietProbes, idleTtlS: 10 }) }, clock, undefined, events);
    actor.send({ type: "START" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "READY", { timeout: 1_000 });
    call(actor);
    expect(actor.getSnapshot().context.stats.calls).toBe(1);

    // The check due 10 s after READY finds a finished call: it re-arms for 10 s after that call.
    clock.increment(10_000);
    expect(state(actor)).toBe("READY");
    clock.increment(9_000);
    expect(state(actor)).toBe("READY");
    clock.increment(1_500);
    expect(state(actor)).toBe("COLD");
    expect(events.find((event) => event.type === "ProviderStopped")).toMatchObject({ reason: "idle" });
  });

  it("probes every health_check_interval_s, one at a time, and goes DEGRADED after max_consecutive_failures", async () => {
    const clock = new SimulatedClock();
    const ran = { count: 0 };
    const failed: ProbeResult = { ok: false, message: "no pong" };
    const actor = start({ spec: testSpec({ healthCheckIntervalS: 5, maxConsecutiveFailures: 2, idleTtlS: 0 }) }, clock, scriptedProbe([failed, failed], ran));
    actor.send({ type: "START" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "READY", { timeout: 1_000 });

    clock.increment(4_999);
    expect(ran.count).toBe(0);
    clock.increment(1);
    expect(ran.count).toBe(1);
    expect(actor.getSnapshot().context.health.probing).toBe(true);
    await waitFor(actor, (snapshot) => !snapshot.context.health.probing, { timeout: 1_000 });
    expect(actor.getSnapshot().children.healthProbe).toBeUndefined();
    expect(actor.getSnapshot().context.health.consecutiveFailures).toBe(1);

    // The next probe is due an interval after the last one ended, not before.
    clock.increment(4_999);
    expect(ran.count).toBe(1);
    clock.increment(1);
    await waitFor(actor, (snapshot) => snapshot.context.state === "DEGRADED", { timeout: 1_000 });
    expect(ran.count).toBe(2);
  });

  it("cancels both timers when the provider stops: no probe and no idle check after STOP", async () => {
    const clock = new SimulatedClock();
    const ran = { count: 0 };
    const events: DomainEvent[] = [];
    const actor = start({ spec: testSpec({ healthCheckIntervalS: 5, idleTtlS: 10 }) }, clock, scriptedProbe([], ran), events);
    actor.send({ type: "START" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "READY", { timeout: 1_000 });
    actor.send({ type: "STOP", reason: "manual" });
    clock.increment(60_000);
    expect(ran.count).toBe(0);
    expect(events.filter((event) => event.type === "ProviderStopped")).toHaveLength(1);
    expect(state(actor)).toBe("COLD");
  });
});

describe("a restart that inherits a breaker that is not CLOSED", () => {
  it("comes up DEGRADED directly, never READY for an instant", async () => {
    const clock = new SimulatedClock();
    const events: DomainEvent[] = [];
    const spec = testSpec(quietProbes);
    const actor = start(
      {
        spec,
        history: {
          stats: { calls: 3, failures: 3, starts: 1, lastCallAt: undefined },
          liveTools: [],
          lastError: undefined,
          stderr: new LineRing(10),
          breaker: { state: "OPEN", failures: 5, openedAt: Date.now(), trialsAdmitted: 0 },
          recovery: { restartCount: 1, restartTimes: [Date.now()], nextRestartAt: undefined, restarting: true },
        },
      },
      clock,
      undefined,
      events,
    );
    await waitFor(actor, (snapshot) => snapshot.context.state === "DEGRADED", { timeout: 1_000 });
    const changes = events.flatMap((event) => (event.type === "ProviderStateChanged" ? [`${event.from}→${event.to}`] : []));
    expect(changes).toEqual(["RECOVERING→INITIALIZING", "INITIALIZING→DEGRADED"]);
    expect(actor.getSnapshot().context.breaker.state).toBe("OPEN");
  });
});
