import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, details, invoke, jsonOf, textOf } from "../helpers/cli.js";
import { findProcesses, waitForExit, waitForNoProcesses } from "../helpers/processes.js";
import { failureKind, fastRestart, faultyProvider, timed, untilDetails, untilReady, useFaultSuite } from "../helpers/resilience.js";

/**
 * Crash handling and the recovery saga, against real processes killed with SIGKILL: in-flight
 * calls fail at once, calls during the backoff fail fast with a retry-after, the provider is READY
 * again by itself, over the restart budget it is DEAD, and registry_start revives it.
 */
const suite = useFaultSuite();

/** Resolves once the wall clock has passed `deadline` (ms since the epoch, as registry_details reports times). */
async function pastDeadline(deadline: number): Promise<void> {
  const left = deadline - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}

describe("recovery", () => {
  it("kill -9 of a READY provider: in-flight calls fail at once, calls in the backoff fail fast, then READY again with a new pid", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { call_timeout_s: 20, restart: { initial_delay_s: 1, max_delay_s: 1 } }),
    );
    const { client } = pair;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));
    const inFlight = [1, 2, 3].map(() => timed(invoke(client, "bad", "slow", { ms: 15_000 })));
    await untilDetails(client, "bad", (info) => info.in_flight === 3, 3_000, "three calls in flight");

    const killedAt = performance.now();
    process.kill(pid, "SIGKILL");
    const failed = await Promise.all(inFlight);
    for (const call of failed) {
      // Far below the 20 s call timeout: the exit answers them.
      expect(performance.now() - killedAt).toBeLessThan(2_000);
      expect(call.value.isError).toBe(true);
      expect(failureKind(call.value)).toBe("crash");
      expect(textOf(call.value)).toContain("was killed by SIGKILL");
      expect(textOf(call.value)).toContain("faulty-server: ready");
    }

    const recovering = await details(client, "bad");
    expect(recovering.state).toBe("RECOVERING");
    expect(recovering.pid).toBeUndefined();
    expect(recovering.in_flight).toBe(0);
    expect(recovering.last_error?.kind).toBe("crash");
    expect(recovering.last_error?.message).toContain("SIGKILL");
    expect(recovering.restarts?.next_restart_at).toBeDefined();
    expect(findProcesses(pair.marker)).toEqual([]);

    // During the backoff: refused at once with a retry-after, and nothing is started.
    const during = await timed(invoke(client, "bad", "echo", { text: "now?" }));
    expect(during.ms).toBeLessThan(1_000);
    expect(during.value.isError).toBe(true);
    expect(failureKind(during.value)).toBe("unavailable");
    expect(textOf(during.value)).toMatch(/provider 'bad' crashed \(.*SIGKILL.*\); it restarts in [01]s — retry after that/);
    await pair.expectNeighbourAnswers();

    // The recovery saga restarts it without being asked.
    const restarted = await untilReady(client, "bad", 1_000 + 5_000, pid);
    expect(restarted.restarts?.count).toBe(1);
    expect(restarted.restarts?.next_restart_at).toBeUndefined();
    expect(restarted.starts).toBe(2);
    expect(Number(textOf(await invoke(client, "bad", "pid")))).toBe(restarted.pid);
    expect(textOf(await invoke(client, "bad", "echo", { text: "back" }))).toBe("back");
    expect(findProcesses(pair.marker)).toEqual([restarted.pid]);
    await pair.closeAndExpectNoProcesses();
  });

  it("over the restart budget it is DEAD: calls refused at once, no process; registry_start revives it", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { restart: fastRestart(0.2, { maxRestarts: 2 }) }),
    );
    const { client } = pair;
    let pid = Number(textOf(await invoke(client, "bad", "pid")));
    for (let restart = 1; restart <= 2; restart++) {
      process.kill(pid, "SIGKILL");
      const info = await untilReady(client, "bad", 6_000, pid);
      expect(info.restarts?.count).toBe(restart);
      pid = info.pid ?? -1;
    }
    process.kill(pid, "SIGKILL");
    const dead = await untilDetails(client, "bad", (info) => info.state === "DEAD", 5_000, "the provider to be DEAD");
    expect(dead.last_error?.message).toMatch(/crashed 3 times within 300s/);
    expect(dead.restarts?.next_restart_at).toBeUndefined();
    await waitForExit(pid, 2_000);
    expect(findProcesses(pair.marker)).toEqual([]);

    for (const call of [() => invoke(client, "bad", "pid"), () => callTool(client, "registry_invoke", { provider: "bad", tool: "echo", arguments: { text: "x" } })]) {
      const refused = await timed(call());
      expect(refused.ms).toBeLessThan(1_000);
      expect(refused.value.isError).toBe(true);
      expect(failureKind(refused.value)).toBe("unavailable");
      expect(textOf(refused.value)).toMatch(/provider 'bad' is DEAD: .*; start it again with registry_start/);
    }
    // Nothing started behind the refusals.
    expect(findProcesses(pair.marker)).toEqual([]);
    expect((await details(client, "bad")).state).toBe("DEAD");
    const health = jsonOf(await callTool(client, "registry_health"));
    expect(JSON.stringify(health)).toContain("DEAD");
    await pair.expectNeighbourAnswers();

    // A person revives it.
    const revived = jsonOf(await callTool(client, "registry_start", { provider: "bad" }));
    expect(revived).toMatchObject({ provider: "bad", started: true, state: "READY" });
    const info = await details(client, "bad");
    expect(info.state).toBe("READY");
    expect(Number(textOf(await invoke(client, "bad", "pid")))).toBe(info.pid);
    expect(findProcesses(pair.marker)).toEqual([info.pid]);

    // Revived by a person, it gets a fresh restart budget: the next crash is restarted again.
    process.kill(info.pid ?? -1, "SIGKILL");
    const afterRevival = await untilDetails(
      client,
      "bad",
      (d) => d.state === "DEAD" || (d.state === "READY" && d.pid !== info.pid),
      6_000,
      "the revived provider to be restarted (or given up)",
    );
    expect(afterRevival.state).toBe("READY");
    await pair.closeAndExpectNoProcesses();
  });

  it("restarts that fail to initialize go back to RECOVERING until the budget is spent, then DEAD; registry_start revives it once it can start", async () => {
    const failFlag = join(suite.e2e.dir(), `fail-init-${Date.now()}`);
    const pair = await suite.start((marker) =>
      faultyProvider(marker, { FAULT_EXIT_DURING_INIT_IF_EXISTS: failFlag }, { restart: fastRestart(0.2, { maxRestarts: 2 }) }),
    );
    const { client, hangar } = pair;
    try {
      const pid = Number(textOf(await invoke(client, "bad", "pid")));
      writeFileSync(failFlag, "");
      process.kill(pid, "SIGKILL");
      const dead = await untilDetails(client, "bad", (info) => info.state === "DEAD", 8_000, "the provider to be DEAD");
      expect(dead.restarts?.count).toBe(2);
      expect(dead.last_error?.message).toMatch(/crashed 3 times/);
      // The failed restarts are logged with the provider's own words.
      expect(hangar.stderr()).toContain("exited with code 9 before completing MCP initialization");
      expect(hangar.stderr()).toMatch(/provider bad: INITIALIZING → RECOVERING/);
      expect(dead.stderr_tail.join("\n")).toContain("faulty-server: exiting during initialize");
      await waitForNoProcesses(pair.marker, 2_000);

      // While it still cannot start, registry_start reports why.
      const stillBroken = await timed(callTool(client, "registry_start", { provider: "bad" }));
      expect(stillBroken.ms).toBeLessThan(4_000);
      expect(failureKind(stillBroken.value)).toBe("start_failed");
      expect(textOf(stillBroken.value)).toContain("faulty-server: exiting during initialize");
      await waitForNoProcesses(pair.marker, 2_000);
      // A person's start that fails is a failed start like a lazy one: COLD, no recovery saga.
      expect((await details(client, "bad")).state).toBe("COLD");

      rmSync(failFlag);
      const revived = jsonOf(await callTool(client, "registry_start", { provider: "bad" }));
      expect(revived).toMatchObject({ started: true, state: "READY" });
      expect(textOf(await invoke(client, "bad", "echo", { text: "alive" }))).toBe("alive");
      await pair.expectNeighbourAnswers();
      await pair.closeAndExpectNoProcesses();
    } finally {
      rmSync(failFlag, { force: true });
    }
  });

  it("calls made while the restarted provider initializes wait for it and are answered", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, { FAULT_INIT_DELAY_MS: 800 }, { restart: fastRestart(0.2), startup_timeout_s: 5 }),
    );
    const { client } = pair;
    const first = Number(textOf(await invoke(client, "bad", "pid")));
    process.kill(first, "SIGKILL");
    const initializing = await untilDetails(client, "bad", (info) => info.state === "INITIALIZING", 3_000, "the restart to be initializing");
    expect(initializing.restarts?.count).toBe(1);
    const queued = await timed(Promise.all(["a", "b", "c"].map((text) => invoke(client, "bad", "echo", { text }))));
    expect(queued.value.map(textOf)).toEqual(["a", "b", "c"]);
    expect(queued.ms).toBeLessThan(800 + 3_000);
    const info = await details(client, "bad");
    expect(info.state).toBe("READY");
    expect(info.pid).not.toBe(first);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });

  it("registry_stop during the backoff cancels the restart; registry_start during the backoff restarts at once, and only once", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, {}, { restart: { initial_delay_s: 1, max_delay_s: 1 } }),
    );
    const { client } = pair;

    // Stop while RECOVERING: COLD, and the scheduled restart never happens.
    const first = Number(textOf(await invoke(client, "bad", "pid")));
    process.kill(first, "SIGKILL");
    const recovering = await untilDetails(client, "bad", (info) => info.state === "RECOVERING", 3_000, "RECOVERING");
    const dueAt = Date.parse(recovering.restarts?.next_restart_at ?? "");
    expect(Number.isFinite(dueAt)).toBe(true);
    const stopped = jsonOf(await callTool(client, "registry_stop", { provider: "bad" }));
    expect(stopped.state).toBe("COLD");
    // A negative check needs the deadline to pass: wait until the restart would have been done.
    await pastDeadline(dueAt + 700);
    expect((await details(client, "bad")).state).toBe("COLD");
    expect(findProcesses(pair.marker)).toEqual([]);

    // Start while RECOVERING: READY well before the backoff, and the saga does not restart it again.
    const second = Number(textOf(await invoke(client, "bad", "pid")));
    process.kill(second, "SIGKILL");
    const again = await untilDetails(client, "bad", (info) => info.state === "RECOVERING", 3_000, "RECOVERING again");
    const dueAgain = Date.parse(again.restarts?.next_restart_at ?? "");
    const started = await timed(callTool(client, "registry_start", { provider: "bad" }));
    expect(jsonOf(started.value)).toMatchObject({ started: true, state: "READY" });
    const third = (await details(client, "bad")).pid;
    expect(third).not.toBe(second);
    await pastDeadline(dueAgain + 700);
    const after = await details(client, "bad");
    expect(after.state).toBe("READY");
    expect(after.pid).toBe(third);
    expect(findProcesses(pair.marker)).toEqual([third]);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });
});
