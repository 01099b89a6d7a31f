import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, invoke, jsonOf, textOf, useE2E, within } from "../helpers/cli.js";
import { readAudit, verifyAudit } from "../helpers/audit-db.js";
import { faultyProvider } from "../helpers/resilience.js";
import { waitFor } from "../helpers/wait.js";

/**
 * One audit row per answered call, in a real hangar over real pipes: a call answered before its
 * batch is written is one row (the answer's, with the arguments); a call that hangs at the
 * provider while its batch is written keeps its request's row, and so does a call the hangar
 * never answers because it was killed.
 */
const e2e = useE2E();

interface HistoryCall {
  type: string;
  correlationId: string;
  data: Record<string, unknown>;
}

describe("audit trail: one row per answered call", () => {
  it("an answered call is one row; a call hanging across a batch keeps its request's row", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    // batch_ms of a minute: only registry_history's flush (before it reads) writes a batch here.
    const hangar = await e2e.start({ providers: { slow: { command: fixtureCommand("faulty-server.js", marker) } }, audit: { path, batch_ms: 60_000 } });
    const history = async (): Promise<HistoryCall[]> => (jsonOf(await callTool(hangar.client, "registry_history", { provider: "slow" })) as { calls: HistoryCall[] }).calls;

    expect(textOf(await invoke(hangar.client, "slow", "echo", { text: "quick" }))).toBe("quick");
    // Hangs at the provider until its batch is written (registry_history flushes), then answers.
    const hanging = invoke(hangar.client, "slow", "slow", { ms: 1_500 });
    const inFlight = await eventually(
      async () => {
        const calls = await history();
        return calls.some((call) => call.type === "ToolInvocationRequested") ? calls : undefined;
      },
      10_000,
      "the hanging call's request to be written",
    );
    expect(inFlight.map((call) => [call.type, call.data.tool])).toEqual([
      ["ToolInvocationCompleted", "echo"],
      ["ToolInvocationRequested", "slow"],
    ]);
    // The quick call's one row carries what its request's row would have: the arguments, beside the result.
    expect(inFlight[0]?.data).toMatchObject({
      kind: "ok",
      arguments: { bytes: JSON.stringify({ text: "quick" }).length, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string },
      result: { bytes: expect.any(Number) as number },
    });
    expect(inFlight[1]?.data.arguments).toMatchObject({ bytes: JSON.stringify({ ms: 1_500 }).length });

    expect(textOf(await hanging)).toContain("1500");
    const calls = await history();
    expect(calls.map((call) => [call.type, call.data.tool])).toEqual([
      ["ToolInvocationCompleted", "echo"],
      ["ToolInvocationRequested", "slow"],
      ["ToolInvocationCompleted", "slow"],
    ]);
    // The answer of a request written earlier is its answer alone, linked by the correlation id.
    expect(calls[2]?.data.arguments).toBeUndefined();
    expect(calls[2]?.correlationId).toBe(calls[1]?.correlationId);
    await hangar.close();
    expect(verifyAudit(path)).toMatchObject({ ok: true });
  });

  it("a hangar killed mid-call leaves the call's request in the file", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    // The provider goes when its stdin does, hung call or not (the hangar's kill leaves nobody to stop it).
    const hangar = await e2e.start({ providers: { slow: faultyProvider(marker, { FAULT_EXIT_ON_STDIN_END: 1 }) }, audit: { path, batch_ms: 20 } });
    expect(textOf(await invoke(hangar.client, "slow", "echo", { text: "warm" }))).toBe("warm");
    // Never answered while the hangar lives: it is in flight when the batch timer writes its request.
    const hanging = invoke(hangar.client, "slow", "slow", { ms: 60_000 }).catch(() => "cut off");
    // Its own request: on a loaded machine the warm call may outlast its batch, and its request gets a row of its own too.
    const hangingOnDisk = (): true | undefined => readAudit(path, { type: "ToolInvocationRequested" }).some((event) => event.data.tool === "slow") || undefined;
    await waitFor(hangingOnDisk, 10_000, "the hanging call's request on disk");
    process.kill(hangar.pid, "SIGKILL");
    expect(await within(hangar.exited, 5_000, "the hangar to die")).toEqual({ code: null, signal: "SIGKILL" });
    expect(await hanging).toBe("cut off");

    expect(verifyAudit(path)).toMatchObject({ ok: true });
    const events = readAudit(path, { type: "ToolInvocation*" });
    const requests = events.filter((event) => event.type === "ToolInvocationRequested");
    expect(requests.map((event) => event.data.tool)).toContain("slow");
    const hung = requests.find((event) => event.data.tool === "slow");
    expect(hung?.data.arguments).toMatchObject({ bytes: JSON.stringify({ ms: 60_000 }).length });
    // Its call was never answered: no answer row has its correlation id.
    expect(events.filter((event) => event.correlationId === hung?.correlationId).map((event) => event.type)).toEqual(["ToolInvocationRequested"]);
  });

  it("a group's retry: each attempt's request is folded into its own attempt's answer, under one correlation id", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    const hangar = await e2e.start({
      providers: {
        // The first tools/call kills this member; its tools say they are read-only, so the group retries on the other.
        crashy: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 1, FAULT_READ_ONLY: 1 }),
        steady: faultyProvider(marker, { FAULT_READ_ONLY: 1 }),
        pool: { mode: "group", strategy: "round_robin", members: ["crashy", "steady"], retry_on_member_failure: "auto" },
      },
      // One batch for the whole test: written at shutdown.
      audit: { path, batch_ms: 60_000 },
    });
    expect(textOf(await invoke(hangar.client, "pool", "echo", { text: "twice is fine" }))).toBe("twice is fine");
    await hangar.close();
    const events = readAudit(path).filter((event) => event.type.startsWith("ToolInvocation") || event.type === "GroupCallRetried");
    // The group hears of the crash (and retries) before the member's chart announces its failed call.
    expect(events.map((event) => [event.type, event.provider ?? event.data.groupId, event.data.kind])).toEqual([
      ["GroupCallRetried", "pool", "crash"],
      ["ToolInvocationFailed", "crashy", "crash"],
      ["ToolInvocationCompleted", "steady", "ok"],
    ]);
    expect(new Set(events.map((event) => event.correlationId)).size).toBe(1);
    const argumentsHash = { bytes: JSON.stringify({ text: "twice is fine" }).length, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string };
    expect(events[1]?.data.arguments).toMatchObject(argumentsHash);
    expect(events[2]?.data.arguments).toEqual(events[1]?.data.arguments);
    expect(verifyAudit(path)).toMatchObject({ ok: true });
  });
});
