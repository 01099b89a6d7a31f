import { describe, expect, it } from "vitest";
import { callTool, invoke, textOf, useE2E } from "../helpers/cli.js";
import { distribution, echoMember, groupRow, memberOf } from "../helpers/groups.js";
import { faultyProvider } from "../helpers/resilience.js";

/**
 * How each strategy spreads 1,000 calls over real fixture members (real processes over stdio),
 * read from the `_meta` of each answer and checked against the member's own environment.
 */
const e2e = useE2E();
const CALLS = 1_000;

describe("group load balancing over real members", () => {
  // 4,000 real calls (SDK client, hangar, three SDK providers, audit on): ≈ 5 s of CPU on a quiet
  // machine, and the suite's other worker and the machine's load share the two cores with it
  // (30 s was not enough at load 17). The calls are what is checked, so the bound is wider.
  it("splits 1,000 calls as each strategy says", { timeout: 90_000 }, async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        a: echoMember(marker, "a"),
        b: echoMember(marker, "b"),
        c: echoMember(marker, "c"),
        rr: { mode: "group", strategy: "round_robin", members: ["a", "b", "c"] },
        wrr: {
          mode: "group",
          strategy: "weighted_round_robin",
          members: [
            { id: "a", weight: 3 },
            { id: "b", weight: 1 },
          ],
        },
        rnd: {
          mode: "group",
          strategy: "random",
          members: [
            { id: "a", weight: 3 },
            { id: "c", weight: 1 },
          ],
        },
        prio: {
          mode: "group",
          strategy: "priority",
          members: [
            { id: "b", priority: 2 },
            { id: "c", priority: 1 },
            { id: "a", priority: 3 },
          ],
        },
      },
    });
    const { client } = hangar;

    // The member named in _meta is the process that answered: its own environment says so.
    for (let i = 0; i < 3; i++) {
      const result = await invoke(client, "rr", "env", { name: "MEMBER" });
      expect(textOf(result)).toBe(memberOf(result));
      expect(result._meta?.["mcp-hangar/group"]).toBe("rr");
    }

    // Round robin: a third each; after the three probes above the turn is a's again, so a gets the odd one.
    expect(await distribution(client, "rr", CALLS, { concurrency: 4 })).toEqual({ a: 334, b: 333, c: 333 });

    // Smooth weighted round robin (nginx) is exact: 3:1 over 1,000 calls is 750 / 250.
    expect(await distribution(client, "wrr", CALLS, { concurrency: 4 })).toEqual({ a: 750, b: 250 });

    // Weighted random, 3:1: 750 ± 60 (over 4 standard deviations of the binomial).
    const random = await distribution(client, "rnd", CALLS, { concurrency: 4 });
    expect((random.a ?? 0) + (random.c ?? 0)).toBe(CALLS);
    expect(Math.abs((random.a ?? 0) - 750)).toBeLessThanOrEqual(60);

    // Priority: every call to the best member.
    expect(await distribution(client, "prio", CALLS, { concurrency: 4 })).toEqual({ c: CALLS });
    const prio = await groupRow(client, "prio");
    expect(prio.preferred).toBe("c");
    expect(prio.active).toBe("c");
    expect(prio.state).toBe("HEALTHY");
    expect(prio.members.every((member) => member.in_flight === 0)).toBe(true);
  });

  it("least connections prefers the idle member when one member is slow", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        fast: echoMember(marker, "fast"),
        slow: faultyProvider(marker, { FAULT_SLOW_MS: 100 }),
        lc: { mode: "group", strategy: "least_connections", members: ["fast", "slow"] },
        rr: { mode: "group", strategy: "round_robin", members: ["fast", "slow"] },
      },
    });
    const { client } = hangar;
    // Both members started, so start-up time does not skew the split.
    await callTool(client, "registry_warm", { providers: ["fast", "slow"] });

    const started = performance.now();
    const counts = await distribution(client, "lc", CALLS, { concurrency: 2 });
    const elapsedMs = performance.now() - started;
    expect((counts.fast ?? 0) + (counts.slow ?? 0)).toBe(CALLS);
    // Least connections evens out calls in flight: with 2 at a time the slow member holds at most
    // one, so it answers at most one call per 100 ms; the idle fast member takes the rest, where
    // round robin would send the slow one half of them.
    expect(counts.slow ?? 0).toBeLessThanOrEqual(Math.ceil(elapsedMs / 100) + 1);
    expect(counts.fast ?? 0).toBeGreaterThan(CALLS * 0.8);
    console.error(`least connections: ${JSON.stringify(counts)} in ${Math.round(elapsedMs)} ms`);

    // The same traffic with round robin: half each — the contrast the strategy exists for.
    expect(await distribution(client, "rr", 20, { concurrency: 2 })).toEqual({ fast: 10, slow: 10 });
  });
});
