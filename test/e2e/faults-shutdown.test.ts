import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, invoke, jsonOf, textOf, useE2E, within } from "../helpers/cli.js";
import { describeProcess, findProcesses, guardianOf, isRunning, killIfAlive, waitForExit } from "../helpers/processes.js";
import { faultyProvider, untilDetails } from "../helpers/resilience.js";

/**
 * The hangar's own end: the shutdown deadline with providers that ignore SIGTERM (and a
 * grandchild that does too), and the reaping of process groups left behind by a hangar that was
 * killed with SIGKILL — never those of a hangar that is still alive.
 */
const e2e = useE2E();

describe("shutdown deadline and orphan reaping", () => {
  it("SIGTERM to the hangar: stubborn providers and grandchildren are killed after shutdown_timeout_s, within the deadline", async () => {
    const markers = { stubborn: e2e.marker(), starting: e2e.marker(), plain: e2e.marker() };
    const hangar = await e2e.start({
      providers: {
        stubborn: faultyProvider(markers.stubborn, { FAULT_IGNORE_SIGTERM: 1, FAULT_GRANDCHILD: 1 }, { shutdown_timeout_s: 1 }),
        // Still starting (never answers initialize) and ignoring SIGTERM when the hangar stops.
        starting: faultyProvider(markers.starting, { FAULT_NEVER_ANSWER: 1, FAULT_IGNORE_SIGTERM: 1 }, { shutdown_timeout_s: 1, startup_timeout_s: 30 }),
        plain: faultyProvider(markers.plain, {}, { shutdown_timeout_s: 1 }),
      },
    });
    const { client } = hangar;
    const warm = jsonOf(await callTool(client, "registry_warm", { providers: ["stubborn", "plain"] })).results as { started: boolean }[];
    expect(warm.map((result) => result.started)).toEqual([true, true]);
    const grandchild = Number(textOf(await invoke(client, "stubborn", "grandchild")));
    expect(isRunning(grandchild)).toBe(true);
    const pending = invoke(client, "starting", "pid");
    pending.catch(() => undefined);
    await hangar.waitForStderr("faulty-server: listening and never answering");
    const inFlight = invoke(client, "stubborn", "slow", { ms: 30_000 });
    inFlight.catch(() => undefined);

    const signalledAt = performance.now();
    process.kill(hangar.pid, "SIGTERM");
    // The deadline is the longest shutdown_timeout_s + 1 s; allow 1.5 s more for a loaded machine.
    const exit = await within(hangar.exited, 1_000 + 1_000 + 4_000, "the hangar to exit after SIGTERM");
    const tookMs = performance.now() - signalledAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(tookMs).toBeLessThan(1_000 + 1_000 + 1_500);
    // The grace period was really waited out: SIGTERM was ignored, SIGKILL ended them.
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(hangar.stderr()).toContain("ignored SIGTERM");

    const left = [...Object.values(markers).flatMap(findProcesses), ...(isRunning(grandchild) ? [grandchild] : [])];
    expect(left.map(describeProcess)).toEqual([]);
    // What was pending got an answer before the hangar went.
    for (const result of await within(Promise.all([pending, inFlight]), 2_000, "the pending calls' answers")) {
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/stopped/);
    }
  });

  it("shutdown while a provider waits for its restart: no restart happens, the hangar exits at once", async () => {
    const markers = { recovering: e2e.marker(), plain: e2e.marker() };
    const hangar = await e2e.start({
      providers: {
        recovering: faultyProvider(markers.recovering, {}, { shutdown_timeout_s: 1, restart: { initial_delay_s: 5, max_delay_s: 5 } }),
        plain: faultyProvider(markers.plain, {}, { shutdown_timeout_s: 1 }),
      },
    });
    const { client } = hangar;
    await callTool(client, "registry_warm", {});
    const pid = Number(textOf(await invoke(client, "recovering", "pid")));
    process.kill(pid, "SIGKILL");
    await untilDetails(client, "recovering", (info) => info.state === "RECOVERING", 3_000, "RECOVERING");
    const pending = invoke(client, "plain", "slow", { ms: 30_000 });
    pending.catch(() => undefined);
    await untilDetails(client, "plain", (info) => info.in_flight === 1, 3_000, "a call in flight");

    const signalledAt = performance.now();
    process.kill(hangar.pid, "SIGTERM");
    const exit = await within(hangar.exited, 1_000 + 1_000 + 4_000, "the hangar to exit after SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    // Neither the 5 s backoff nor any grace period is waited out: both providers go at once.
    expect(performance.now() - signalledAt).toBeLessThan(1_500);
    expect([...findProcesses(markers.recovering), ...findProcesses(markers.plain)].map(describeProcess)).toEqual([]);
    const answer = await within(pending, 2_000, "the pending call's answer");
    expect(answer.isError).toBe(true);
  });

  it("after a SIGKILL of a hangar and its guardian, the next hangar on the same state dir kills its orphaned groups at start-up, and leaves a live hangar's groups alone", async () => {
    const stateDir = join(e2e.dir(), `state-${e2e.marker()}`);
    mkdirSync(stateDir);
    const env = { MCP_HANGAR_STATE_DIR: stateDir };
    const markers = { orphan: e2e.marker(), live: e2e.marker(), newcomer: e2e.marker() };

    // A live hangar whose provider must survive everything below.
    const live = await e2e.start({ providers: { keep: faultyProvider(markers.live, {}, { shutdown_timeout_s: 1 }) } }, { env });
    const keepPid = Number(textOf(await invoke(live.client, "keep", "pid")));
    const liveFile = join(stateDir, `hangar-${live.pid}.json`);
    expect(existsSync(liveFile)).toBe(true);

    // A hangar whose provider (and grandchild) ignore SIGTERM and stay alive when stdin closes.
    const doomed = await e2e.start(
      { providers: { stubborn: faultyProvider(markers.orphan, { FAULT_IGNORE_SIGTERM: 1, FAULT_GRANDCHILD: 1 }, { shutdown_timeout_s: 1 }) } },
      { env },
    );
    const leader = Number(textOf(await invoke(doomed.client, "stubborn", "pid")));
    const grandchild = Number(textOf(await invoke(doomed.client, "stubborn", "grandchild")));
    const doomedFile = join(stateDir, `hangar-${doomed.pid}.json`);
    const recorded = JSON.parse(readFileSync(doomedFile, "utf8")) as { pid: number; groups: { pgid: number }[] };
    expect(recorded.pid).toBe(doomed.pid);
    expect(recorded.groups.map((group) => group.pgid)).toEqual([leader]);

    // Its guardian dies first (as in a kill -9 of the whole tree), so only the state file is left to tell.
    await killGuardian(doomed.pid);
    process.kill(doomed.pid, "SIGKILL");
    expect(await within(doomed.exited, 5_000, "the hangar to die")).toEqual({ code: null, signal: "SIGKILL" });
    // No hook ran: the orphans live on, and the state file stays behind.
    expect(isRunning(leader)).toBe(true);
    expect(isRunning(grandchild)).toBe(true);
    expect(existsSync(doomedFile)).toBe(true);

    // The next hangar reaps before it serves: once it answers, the orphans are gone.
    const newcomer = await e2e.start({ providers: { other: faultyProvider(markers.newcomer) } }, { env });
    expect(isRunning(leader)).toBe(false);
    expect(isRunning(grandchild)).toBe(false);
    expect(findProcesses(markers.orphan).map(describeProcess)).toEqual([]);
    expect(newcomer.stderr()).toMatch(/reaped 1 provider process groups left by a hangar that is gone/);
    expect(existsSync(doomedFile)).toBe(false);

    // The live hangar's group is untouched and still serves, its state file in place.
    expect(isRunning(keepPid)).toBe(true);
    expect(Number(textOf(await invoke(live.client, "keep", "pid")))).toBe(keepPid);
    expect(existsSync(liveFile)).toBe(true);
    expect(textOf(await invoke(newcomer.client, "other", "echo", { text: "hi" }))).toBe("hi");

    // Clean exits leave no state file behind.
    await live.close();
    await newcomer.close();
    expect(findProcesses(markers.live)).toEqual([]);
    expect(findProcesses(markers.newcomer)).toEqual([]);
    expect(readdirSync(stateDir).filter((name) => name.startsWith("hangar-"))).toEqual([]);
  });

  it("a group whose leader exited on stdin EOF while its grandchild lingers is reaped as well", async () => {
    const stateDir = join(e2e.dir(), `state-${e2e.marker()}`);
    mkdirSync(stateDir);
    const env = { MCP_HANGAR_STATE_DIR: stateDir };
    const markers = { orphan: e2e.marker(), newcomer: e2e.marker() };
    const doomed = await e2e.start(
      { providers: { wrapper: faultyProvider(markers.orphan, { FAULT_EXIT_ON_STDIN_END: 1, FAULT_GRANDCHILD: 1 }) } },
      { env },
    );
    const leader = Number(textOf(await invoke(doomed.client, "wrapper", "pid")));
    const grandchild = Number(textOf(await invoke(doomed.client, "wrapper", "grandchild")));
    await killGuardian(doomed.pid);
    process.kill(doomed.pid, "SIGKILL");
    await within(doomed.exited, 5_000, "the hangar to die");
    // The leader sees stdin end and exits; the grandchild, in the same group, does not.
    await waitForExit(leader, 5_000);
    expect(isRunning(grandchild)).toBe(true);

    const newcomer = await e2e.start({ providers: { other: faultyProvider(markers.newcomer) } }, { env });
    expect(isRunning(grandchild)).toBe(false);
    expect(findProcesses(markers.orphan).map(describeProcess)).toEqual([]);
    expect(newcomer.stderr()).toMatch(/reaped 1 provider process groups/);
    await newcomer.close();
    expect(readdirSync(stateDir).filter((name) => name.startsWith("hangar-"))).toEqual([]);
  });
});

/** SIGKILLs a hangar's guardian and waits until it is gone. */
async function killGuardian(hangarPid: number): Promise<void> {
  const guardian = guardianOf(hangarPid);
  if (guardian === undefined) throw new Error(`hangar ${hangarPid} runs no guardian`);
  killIfAlive(guardian);
  await waitForExit(guardian, 2_000);
}
