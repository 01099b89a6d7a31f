import { describe, expect, it } from "vitest";
import { callTool, details, invoke, textOf, type ProviderDetails } from "../helpers/cli.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { failureKind, fastRestart, faultyProvider, timed, untilDetails, untilReady, useFaultSuite, type WithNeighbour } from "../helpers/resilience.js";

/**
 * The circuit breaker against a real provider, with short timers: call_timeout_s 0.3 makes
 * `slow {ms: 5000}` a timeout and `slow {ms: 1}` a success; reset_timeout_s 1.
 */
const suite = useFaultSuite();

const BREAKER = { failure_threshold: 2, reset_timeout_s: 1, half_open_max_calls: 1 };

function breakerOf(info: ProviderDetails): NonNullable<ProviderDetails["circuit_breaker"]> {
  if (info.circuit_breaker === undefined) throw new Error(`registry_details has no circuit_breaker: ${JSON.stringify(info)}`);
  return info.circuit_breaker;
}

async function timeOut(pair: WithNeighbour): Promise<void> {
  const call = await timed(invoke(pair.client, "bad", "slow", { ms: 5_000 }));
  expect(failureKind(call.value)).toBe("timeout");
  expect(call.ms).toBeLessThan(300 + 2_000);
}

async function succeed(pair: WithNeighbour, timeoutS?: number, ms = 1): Promise<void> {
  const call = await invoke(pair.client, "bad", "slow", { ms }, timeoutS);
  expect(textOf(call)).toBe(`slept ${ms}`);
}

/** A call refused by the OPEN breaker: at once, never forwarded. */
async function expectRefusedOpen(pair: WithNeighbour): Promise<void> {
  const before = await details(pair.client, "bad");
  for (const call of [() => invoke(pair.client, "bad", "pid"), () => callTool(pair.client, "bad__pid")]) {
    const refused = await timed(call());
    expect(refused.ms).toBeLessThan(1_000);
    expect(refused.value.isError).toBe(true);
    expect(failureKind(refused.value)).toBe("unavailable");
    expect(textOf(refused.value)).toMatch(/circuit breaker for provider 'bad' is OPEN after 2 failures; it lets a trial call through in \d+s/);
  }
  const after = await details(pair.client, "bad");
  expect(after.calls).toBe(before.calls);
  expect(after.in_flight).toBe(0);
}

function untilBreaker(pair: WithNeighbour, state: "CLOSED" | "OPEN" | "HALF_OPEN", timeoutMs = 1_000 + 3_000): Promise<ProviderDetails> {
  return untilDetails(pair.client, "bad", (info) => info.circuit_breaker?.state === state, timeoutMs, `the breaker to be ${state}`);
}

describe("circuit breaker", () => {
  it("opens after failure_threshold timeouts, refuses at once, half-opens after reset_timeout_s, and a good trial closes it", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { call_timeout_s: 0.3, circuit_breaker: BREAKER }),
    );
    const { client } = pair;
    await callTool(client, "registry_start", { provider: "bad" });

    // Not faults: a tool's own error (invalid arguments), a call the client cancels.
    for (let i = 0; i < 3; i++) expect((await invoke(client, "bad", "echo", {})).isError).toBe(true);
    const controller = new AbortController();
    const abandoned = callTool(client, "registry_invoke", { provider: "bad", tool: "slow", arguments: { ms: 5_000 } }, { signal: controller.signal });
    await untilDetails(client, "bad", (info) => info.in_flight === 1, 3_000, "the call to be in flight");
    controller.abort("changed my mind");
    await expect(abandoned).rejects.toThrow();
    await untilDetails(client, "bad", (info) => info.in_flight === 0, 3_000, "the cancelled call to end");
    expect(breakerOf(await details(client, "bad"))).toMatchObject({ state: "CLOSED", failures: 0 });

    // One timeout is counted; a success resets the count.
    await timeOut(pair);
    expect(breakerOf(await details(client, "bad"))).toMatchObject({ state: "CLOSED", failures: 1 });
    await succeed(pair);
    expect(breakerOf(await details(client, "bad"))).toMatchObject({ state: "CLOSED", failures: 0 });

    // Two in a row open it; the provider is flagged DEGRADED but keeps its process.
    const { pid } = await details(client, "bad");
    await timeOut(pair);
    // The breaker opens on the second timeout, some time between these two instants: the client's
    // answer leaves before the hangar's bookkeeping of the call, so not necessarily before the answer.
    const beforeOpen = Date.now();
    await timeOut(pair);
    const open = await details(client, "bad");
    const afterOpen = Date.now();
    expect(breakerOf(open)).toMatchObject({ state: "OPEN", failures: 2 });
    const retryAt = Date.parse(breakerOf(open).retry_at ?? "");
    // retry_at is the opening instant plus reset_timeout_s (1 s).
    expect(retryAt).toBeGreaterThanOrEqual(beforeOpen + 1_000);
    expect(retryAt).toBeLessThanOrEqual(afterOpen + 1_000);
    expect(open.state).toBe("DEGRADED");
    expect(open.pid).toBe(pid);
    await expectRefusedOpen(pair);
    await pair.expectNeighbourAnswers();

    // After reset_timeout_s: HALF_OPEN lets one trial through; a second call meanwhile is refused.
    const halfOpen = await untilBreaker(pair, "HALF_OPEN");
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt - 50);
    expect(halfOpen.circuit_breaker?.retry_at).toBeUndefined();
    const trial = succeed(pair, 5, 800);
    await untilDetails(client, "bad", (info) => info.in_flight === 1, 3_000, "the trial call to be in flight");
    const second = await timed(invoke(client, "bad", "pid"));
    expect(second.ms).toBeLessThan(1_000);
    expect(failureKind(second.value)).toBe("unavailable");
    expect(textOf(second.value)).toMatch(/circuit breaker for provider 'bad' is HALF_OPEN and its trial call is under way/);
    await trial;

    // The trial succeeded: CLOSED with the count reset, READY again.
    const closed = await details(client, "bad");
    expect(breakerOf(closed)).toMatchObject({ state: "CLOSED", failures: 0 });
    expect(closed.state).toBe("READY");
    expect(Number(textOf(await invoke(client, "bad", "pid")))).toBe(pid);
    await timeOut(pair);
    expect(breakerOf(await details(client, "bad"))).toMatchObject({ state: "CLOSED", failures: 1 });
    await pair.closeAndExpectNoProcesses();
  });

  it("a failed trial opens it again with a new deadline; a later good trial closes it", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { call_timeout_s: 0.3, circuit_breaker: BREAKER }),
    );
    const { client } = pair;
    await callTool(client, "registry_start", { provider: "bad" });
    await timeOut(pair);
    await timeOut(pair);
    const firstRetryAt = Date.parse(breakerOf(await details(client, "bad")).retry_at ?? "");
    await untilBreaker(pair, "HALF_OPEN");

    // The trial times out: OPEN again, refusing, with a later deadline.
    await timeOut(pair);
    const reopened = await details(client, "bad");
    expect(breakerOf(reopened).state).toBe("OPEN");
    expect(Date.parse(breakerOf(reopened).retry_at ?? "")).toBeGreaterThan(firstRetryAt);
    expect(reopened.state).toBe("DEGRADED");
    await expectRefusedOpen(pair);

    await untilBreaker(pair, "HALF_OPEN");
    await succeed(pair);
    const closed = await details(client, "bad");
    expect(breakerOf(closed)).toMatchObject({ state: "CLOSED", failures: 0 });
    expect(closed.state).toBe("READY");
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });

  it("failed starts count: an OPEN breaker refuses without starting anything, and its trial is a start", async () => {
    const pair = await suite.start((marker) =>
      // `pid` predefined, so that its flat name exists before the provider ever started.
      faultyProvider(marker, { FAULT_EXIT_DURING_INIT: 1 }, { circuit_breaker: BREAKER, restart: fastRestart(0.2), tools: [{ name: "pid" }] }),
    );
    const { client } = pair;
    /** The connection writes one "--- starting …, pid N ---" line into the stderr ring per spawn. */
    const spawns = async (): Promise<number> => (await details(client, "bad")).stderr_tail.filter((line) => /^--- starting .*, pid \d+ ---$/.test(line)).length;

    for (let i = 0; i < 2; i++) expect(failureKind(await invoke(client, "bad", "pid"))).toBe("start_failed");
    const open = await details(client, "bad");
    expect(breakerOf(open)).toMatchObject({ state: "OPEN", failures: 2 });
    expect(open.state).toBe("COLD");
    expect(await spawns()).toBe(2);
    await expectRefusedOpen(pair);
    expect(failureKind(await callTool(client, "registry_invoke", { provider: "bad", tool: "echo", arguments: { text: "x" } }))).toBe("unavailable");
    expect(await spawns()).toBe(2);
    expect(findProcesses(pair.marker)).toEqual([]);

    // HALF_OPEN: the trial call starts the provider; the start fails, so the breaker opens again.
    await untilBreaker(pair, "HALF_OPEN");
    expect(failureKind(await invoke(client, "bad", "pid"))).toBe("start_failed");
    expect(await spawns()).toBe(3);
    expect(breakerOf(await details(client, "bad")).state).toBe("OPEN");
    await waitForNoProcesses(pair.marker, 2_000);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });

  it("crashes count: two kill -9 in a row open it, and the restarted provider keeps the OPEN breaker", async () => {
    // A long reset timeout: the restart must be observed while the breaker is still OPEN, however
    // slowly a loaded machine starts the third process.
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { circuit_breaker: { ...BREAKER, reset_timeout_s: 30 }, restart: fastRestart(0.2) }),
    );
    const { client } = pair;
    const first = Number(textOf(await invoke(client, "bad", "pid")));
    process.kill(first, "SIGKILL");
    const second = await untilReady(client, "bad", 6_000, first);
    // A restarted provider inherits its predecessor's fault count, so a crash loop adds up.
    expect(breakerOf(second)).toMatchObject({ state: "CLOSED", failures: 1 });

    process.kill(second.pid ?? -1, "SIGKILL");
    // Restarted by the saga, but with the breaker OPEN: running and DEGRADED, refusing calls.
    const third = await untilDetails(
      client,
      "bad",
      (info) => info.pid !== undefined && info.pid !== second.pid && info.state !== "INITIALIZING",
      6_000,
      "the restarted provider to run",
    );
    expect(third.state).toBe("DEGRADED");
    expect(breakerOf(third)).toMatchObject({ state: "OPEN", failures: 2 });
    await expectRefusedOpen(pair);
    await pair.closeAndExpectNoProcesses();
  });

  it("a restarted provider keeps its predecessor's OPEN breaker (and its deadline), then closes it with a good trial", async () => {
    const pair = await suite.start((marker) =>
      // 4 s of OPEN: room for a restart on a loaded machine before the deadline half-opens it.
      faultyProvider(marker, {}, { circuit_breaker: { ...BREAKER, failure_threshold: 1, reset_timeout_s: 4 }, restart: fastRestart(0.2) }),
    );
    const { client } = pair;
    const first = Number(textOf(await invoke(client, "bad", "pid")));
    process.kill(first, "SIGKILL");
    const recovering = await untilDetails(client, "bad", (info) => info.circuit_breaker?.state === "OPEN", 3_000, "the breaker to open");
    const retryAt = recovering.circuit_breaker?.retry_at;
    expect(retryAt).toBeDefined();

    // Restarted by the saga with the breaker still OPEN: running, DEGRADED, refusing calls.
    const restarted = await untilDetails(
      client,
      "bad",
      (info) => info.pid !== undefined && info.state === "DEGRADED",
      6_000,
      "the restarted provider to run, DEGRADED",
    );
    expect(restarted.pid).not.toBe(first);
    expect(restarted.restarts?.count).toBe(1);
    expect(breakerOf(restarted)).toMatchObject({ state: "OPEN", retry_at: retryAt });
    const refused = await timed(invoke(client, "bad", "pid"));
    expect(refused.ms).toBeLessThan(1_000);
    expect(textOf(refused.value)).toMatch(/circuit breaker for provider 'bad' is OPEN after 1 failures/);

    // Its original deadline holds: HALF_OPEN, then a good trial closes it and the provider is READY.
    await untilBreaker(pair, "HALF_OPEN", 4_000 + 3_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(retryAt ?? "") - 50);
    expect(Number(textOf(await invoke(client, "bad", "pid")))).toBe(restarted.pid);
    const closed = await details(client, "bad");
    expect(breakerOf(closed)).toMatchObject({ state: "CLOSED", failures: 0 });
    expect(closed.state).toBe("READY");
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });
});
