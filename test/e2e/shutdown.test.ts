import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, FIXTURES, fixtureCommand, jsonOf, NODE, textOf, useE2E, within, type RunningHangar } from "../helpers/cli.js";
import { describeProcess, findProcesses, guardianOf, isRunning, waitForExit, waitForNoProcesses } from "../helpers/processes.js";

const e2e = useE2E();

interface Started {
  hangar: RunningHangar;
  markers: { plain: string; wrapped: string; stubborn: string };
  grandchild: number;
  /** The hangar's guardian (src/actors/group-guardian.ts), started with its first provider. */
  guardian: number;
}

/**
 * A hangar with three running providers: a plain server, one behind a `sh -c` wrapper (the shell
 * stays as the server's parent), and the stubborn fixture whose server and grandchild ignore
 * SIGTERM. The grandchild's command line does not carry the marker; its environment does.
 */
async function startThree(): Promise<Started> {
  const markers = { plain: e2e.marker(), wrapped: e2e.marker(), stubborn: e2e.marker() };
  const echo = join(FIXTURES, "echo-server.js");
  const hangar = await e2e.start({
    providers: {
      plain: { command: fixtureCommand("echo-server.js", markers.plain), shutdown_grace_s: 1 },
      // `; exit $?` keeps the shell from exec()ing node: a real wrapper process stays in between.
      wrapped: {
        command: ["sh", "-c", `'${NODE}' '${echo}' --marker=${markers.wrapped}; exit $?`],
        shutdown_grace_s: 1,
      },
      stubborn: {
        command: fixtureCommand("stubborn-child.js", markers.stubborn),
        env: { E2E_MARKER: markers.stubborn },
        shutdown_grace_s: 1,
      },
    },
  });
  const warm = jsonOf(await callTool(hangar.client, "registry_warm", {})).results as { provider: string; started: boolean }[];
  expect(warm.map((result) => [result.provider, result.started])).toEqual([
    ["plain", true],
    ["wrapped", true],
    ["stubborn", true],
  ]);
  expect(findProcesses(markers.plain)).toHaveLength(1);
  expect(findProcesses(markers.wrapped), "sh and node").toHaveLength(2);
  const grandchild = Number(textOf(await callTool(hangar.client, "stubborn__grandchild")));
  expect(isRunning(grandchild)).toBe(true);
  expect(findProcesses(markers.stubborn).sort()).toEqual(
    [grandchild, Number(textOf(await callTool(hangar.client, "stubborn__pid")))].sort(),
  );
  const guardian = guardianOf(hangar.pid);
  if (guardian === undefined) throw new Error("the hangar runs no guardian");
  return { hangar, markers, grandchild, guardian };
}

async function expectNothingLeft({ markers, grandchild, guardian }: Started): Promise<void> {
  // The hangar waits for every process group to be gone before it exits: nothing may be left.
  const left = [...Object.values(markers).flatMap(findProcesses), ...(isRunning(grandchild) ? [grandchild] : [])];
  expect(left.map(describeProcess)).toEqual([]);
  // The guardian reads the end of its pipe as the hangar exits, finds no group left and exits too.
  await waitForExit(guardian, 2_000);
}

describe("shutdown leaves no process behind", () => {
  it("on stdin EOF from the client", async () => {
    const started = await startThree();
    const { hangar } = started;
    hangar.endStdin();
    const exit = await within(hangar.exited, 10_000, "the hangar to exit after stdin EOF");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(hangar.stderr()).toContain("shutting down (stdin closed)");
    await expectNothingLeft(started);
  });

  it("on SIGTERM to the hangar", async () => {
    const started = await startThree();
    const { hangar } = started;
    process.kill(hangar.pid, "SIGTERM");
    const exit = await within(hangar.exited, 10_000, "the hangar to exit after SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(hangar.stderr()).toContain("shutting down (SIGTERM)");
    // The stubborn group needed SIGKILL after its grace period.
    expect(hangar.stderr()).toContain("ignored SIGTERM");
    await expectNothingLeft(started);
  });

  it("on SIGTERM while calls are in flight and a provider is still starting", async () => {
    const markers = { slow: e2e.marker(), hang: e2e.marker() };
    const hangar = await e2e.start({
      providers: {
        slow: { command: fixtureCommand("echo-server.js", markers.slow), shutdown_grace_s: 1 },
        hang: { command: fixtureCommand("hang-server.js", markers.hang), shutdown_grace_s: 1, startup_timeout_s: 30 },
      },
    });
    const slow = callTool(hangar.client, "registry_invoke", { provider: "slow", tool: "slow", arguments: { ms: 20_000 } });
    const hanging = callTool(hangar.client, "registry_invoke", { provider: "hang", tool: "anything" });
    // Awaited below; until then a rejection must not count as unhandled.
    slow.catch(() => undefined);
    hanging.catch(() => undefined);
    await hangar.waitForStderr("echo-server ready");
    await hangar.waitForStderr("hang-server: listening");
    expect(findProcesses(markers.slow)).toHaveLength(1);
    expect(findProcesses(markers.hang)).toHaveLength(1);

    process.kill(hangar.pid, "SIGTERM");
    const exit = await within(hangar.exited, 10_000, "the hangar to exit after SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(findProcesses(markers.slow)).toEqual([]);
    expect(findProcesses(markers.hang)).toEqual([]);
    // Shutdown answers what is pending before the hangar exits: an isError result each, not silence.
    const [slowResult, hangingResult] = await within(Promise.all([slow, hanging]), 5_000, "the pending calls to be answered");
    expect(slowResult.isError).toBe(true);
    expect(textOf(slowResult)).toMatch(/stopped/);
    expect(hangingResult.isError).toBe(true);
    expect(textOf(hangingResult)).toMatch(/stopped/);
  });

  it("after a SIGKILL of the hangar (no hook can run), its guardian ends every provider group — one that ignores stdin EOF and SIGTERM after its grace — and exits", async () => {
    const started = await startThree();
    const { hangar, markers, grandchild, guardian } = started;
    process.kill(hangar.pid, "SIGKILL");
    expect(await within(hangar.exited, 5_000, "the hangar to die")).toEqual({ code: null, signal: "SIGKILL" });
    // The stubborn server and its grandchild ignore SIGTERM and their stdin's end: only the
    // guardian's SIGKILL, after the group's 1 s grace, ends them (no other hangar starts here).
    await waitForNoProcesses(markers.stubborn, 5_000);
    await waitForExit(grandchild, 1_000);
    await waitForNoProcesses(markers.plain, 1_000);
    await waitForNoProcesses(markers.wrapped, 1_000);
    await waitForExit(guardian, 1_000);
  });

  it("after a SIGKILL of the hangar (no hook can run), a well-behaved provider exits as its stdin closes", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
    const pid = Number(textOf(await callTool(hangar.client, "registry_invoke", { provider: "echo", tool: "pid" })));
    expect(findProcesses(marker)).toEqual([pid]);
    process.kill(hangar.pid, "SIGKILL");
    expect(await within(hangar.exited, 5_000, "the hangar to die")).toEqual({ code: null, signal: "SIGKILL" });
    await waitForNoProcesses(marker, 5_000);
  });

  // SIGHUP reloads the config instead (test/e2e/hot-reload.test.ts).
  it("on SIGINT as well", async () => {
    await Promise.all(
      (["SIGINT"] as const).map(async (signal) => {
        const marker = e2e.marker();
        const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
        await callTool(hangar.client, "registry_start", { provider: "echo" });
        expect(findProcesses(marker)).toHaveLength(1);
        process.kill(hangar.pid, signal);
        expect(await within(hangar.exited, 10_000, `the hangar to exit after ${signal}`)).toEqual({ code: 0, signal: null });
        expect(hangar.stderr()).toContain(`shutting down (${signal})`);
        expect(findProcesses(marker)).toEqual([]);
      }),
    );
  });
});

