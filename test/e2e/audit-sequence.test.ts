import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { invoke, textOf, useE2E } from "../helpers/cli.js";
import { brief, oneRowPerCall, readAudit, verifyAudit } from "../helpers/audit-db.js";
import { fastRestart, faultyProvider, untilDetails, untilReady } from "../helpers/resilience.js";

/**
 * The audit trail of a real hangar: calls, a failure, a crash with its automatic restart, and an
 * idle stop produce exactly the expected events in the store, in order, each request linked to
 * its outcome by the call's correlation id.
 */
const e2e = useE2E();
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("audit trail: the stored sequence", () => {
  it("calls, a timeout, a crash and an idle stop are stored exactly, in order, with correlation ids", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    const hangar = await e2e.start({
      providers: {
        // The 3rd tools/call of each process crashes it; after 3 s without calls it stops.
        bad: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 3 }, { idle_ttl_s: 3, restart: fastRestart(0.2) }),
      },
      audit: { path },
    });
    const { client } = hangar;
    expect(textOf(await invoke(hangar.client, "bad", "echo", { text: "one" }))).toBe("one");
    expect((await invoke(client, "bad", "slow", { ms: 5_000 }, 0.3)).isError).toBe(true);
    const firstPid = (await untilReady(client, "bad")).pid;
    expect((await invoke(client, "bad", "echo", { text: "three" })).isError).toBe(true);
    await untilReady(client, "bad", 8_000, firstPid);
    expect(textOf(await invoke(client, "bad", "echo", { text: "four" }))).toBe("four");
    await untilDetails(client, "bad", (info) => info.state === "COLD", 10_000, "the idle stop");
    await hangar.close();

    const stored = readAudit(path, { provider: "bad" });
    // Each call as one row: its answer's (a request is a row of its own only when its batch was written while the call was in flight).
    const events = oneRowPerCall(stored);
    expect(events.map(brief)).toEqual([
      "ProviderStateChanged(COLD→INITIALIZING)",
      "ProviderStarted",
      "ProviderToolsChanged",
      // The queued first call goes out on the way to READY.
      "ProviderStateChanged(INITIALIZING→READY)",
      "ToolInvocationCompleted(echo, ok)",
      "ToolInvocationFailed(slow, timeout)",
      "ToolInvocationFailed(echo, crash)",
      "ProviderStopped(crash)",
      "ProviderStateChanged(READY→RECOVERING)",
      "RecoveryScheduled",
      // The fresh provider actor starts as it is spawned, before the supervisor announces the restart.
      "ProviderStateChanged(RECOVERING→INITIALIZING)",
      "ProviderRestarted",
      "ProviderStarted",
      "ProviderToolsChanged",
      "ProviderStateChanged(INITIALIZING→READY)",
      "ToolInvocationCompleted(echo, ok)",
      "ProviderStopped(idle)",
      "ProviderStateChanged(READY→COLD)",
    ]);

    // Each request and its outcome share one correlation id, and no two calls share one.
    const requests = stored.filter((event) => event.type === "ToolInvocationRequested");
    const outcomes = events.filter((event) => event.type === "ToolInvocationCompleted" || event.type === "ToolInvocationFailed");
    // The timeout (0.3 s, batches of 100 ms) was in flight when its batch was written: its request is a row.
    expect(requests.map((event) => event.data.tool)).toContain("slow");
    for (const request of requests) expect(outcomes.map((event) => event.correlationId)).toContain(request.correlationId);
    // Every outcome carries its call's arguments, or follows its request's row.
    for (const outcome of outcomes) expect(outcome.data.arguments !== undefined || requests.some((request) => request.correlationId === outcome.correlationId)).toBe(true);
    expect(new Set(outcomes.map((event) => event.correlationId)).size).toBe(4);
    for (const outcome of outcomes) expect(outcome.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    // UUIDv7, time-ordered: the audit's correlation index takes them at its end, in call order.
    for (const outcome of outcomes) expect(outcome.correlationId).toMatch(UUID_V7);
    const ids = outcomes.map((event) => event.correlationId ?? "");
    expect([...ids].sort()).toEqual(ids);

    // Stamped by one hangar, in order: seq increases with the row id; systemIds name the actor.
    const seqs = events.map((event) => event.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(events.map((event) => event.instance)).size).toBe(1);
    expect(events.find((event) => event.type === "RecoveryScheduled")?.systemId).toBe("saga:recovery:bad");
    expect(events.find((event) => event.type === "ProviderRestarted")?.systemId).toBe("hangar");
    expect(events.find((event) => event.type === "ProviderStarted")?.systemId).toBe("provider:bad");
    const crash = events.find((event) => event.type === "ProviderStopped" && event.data.reason === "crash");
    expect(crash?.data.kind).toBe("crash");
    // Every state change says why in words — the restart too, not xstate's "xstate.init".
    const changes = events.filter((event) => event.type === "ProviderStateChanged");
    expect(changes.map((event) => `${String(event.data.from)}→${String(event.data.to)} (${String(event.data.reason)})`)).toEqual([
      "COLD→INITIALIZING (first call)",
      "INITIALIZING→READY (initialized)",
      "READY→RECOVERING (crash)",
      "RECOVERING→INITIALIZING (restart)",
      "INITIALIZING→READY (initialized)",
      "READY→COLD (idle)",
    ]);
    expect(verifyAudit(path)).toMatchObject({ ok: true });
    expect(hangar.stderr()).not.toContain("audit trail");
  });
});
