import { describe, expect, it } from "vitest";
import { callTool, details, invoke, textOf } from "../helpers/cli.js";
import { findProcesses, isRunning, waitForExit, waitForNoProcesses } from "../helpers/processes.js";
import { failureKind, fastRestart, faultyProvider, timed, untilDetails, untilReady, useFaultSuite } from "../helpers/resilience.js";

/**
 * Fault injection, part 2 — what a provider does with its pipes and signals: garbage on stdout,
 * a message over max_message_bytes, a stderr flood, ignoring SIGTERM, and a grandchild that
 * ignores SIGTERM. Same checks as part 1: the hangar survives, the right error within a bound,
 * the right state, the neighbour keeps answering, no process left.
 */
const suite = useFaultSuite();

describe("faults of pipes and signals", () => {
  it("garbage on stdout: the lines are skipped and logged, calls keep working, the provider stays READY", async () => {
    const pair = await suite.start((marker) => faultyProvider(marker, { FAULT_GARBAGE: 1 }, { health_check_interval_s: 0.2 }));
    const { client, hangar } = pair;
    const answered = await timed(invoke(client, "bad", "echo", { text: "through the noise" }));
    expect(answered.ms).toBeLessThan(3_000);
    expect(answered.value.isError).toBeFalsy();
    expect(textOf(answered.value)).toBe("through the noise");
    const texts = ["one", "two", "three"];
    expect((await Promise.all(texts.map((text) => invoke(client, "bad", "echo", { text })))).map(textOf)).toEqual(texts);
    await hangar.waitForStderr("non-MCP line");
    // Health probes pass through the garbage as well.
    const info = await untilDetails(client, "bad", (d) => d.health?.last_probe_ok === true, 5_000, "a passing health probe");
    expect(info.state).toBe("READY");
    expect(info.failures).toBe(0);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });

  it("a message over max_message_bytes: the call fails as transport, the process is ended and restarted; the limit is per provider", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, { FAULT_OVERSIZE_BYTES: 300_000 }, { max_message_bytes: "100KB", call_timeout_s: 10, restart: fastRestart(0.2) }),
    );
    const { client } = pair;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));
    // A slow call in flight on the same connection fails with it.
    const inFlight = timed(invoke(client, "bad", "slow", { ms: 8_000 }));
    await untilDetails(client, "bad", (info) => info.in_flight === 1, 3_000, "the slow call to be in flight");
    const big = await timed(invoke(client, "bad", "echo", { text: "big" }));
    expect(big.ms).toBeLessThan(3_000);
    expect(big.value.isError).toBe(true);
    expect(failureKind(big.value)).toBe("transport");
    expect(textOf(big.value)).toContain("sent a message of more than 100000 bytes (max_message_bytes)");
    const slow = await inFlight;
    expect(slow.ms).toBeLessThan(4_000);
    expect(failureKind(slow.value)).toBe("transport");

    // The connection is closed and the process ended; the recovery saga starts a new one.
    await waitForExit(pid, 3_000);
    const restarted = await untilReady(client, "bad", 8_000, pid);
    expect(Number(textOf(await invoke(client, "bad", "pid")))).toBe(restarted.pid);
    expect(findProcesses(pair.marker)).toEqual([restarted.pid]);

    // The neighbour (default limit, 16 MiB) passes a message of the same size.
    const neighbourBig = await invoke(client, "good", "echo", { text: "x".repeat(300_000) });
    expect(textOf(neighbourBig)).toHaveLength(300_000);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
  });

  it("a stderr flood: calls stay prompt, the stderr tail stays bounded, the hangar log is rate-limited", async () => {
    const pair = await suite.start((marker) => faultyProvider(marker, { FAULT_STDERR_FLOOD: 1 }, { shutdown_timeout_s: 1 }));
    const { client, hangar } = pair;
    const logBefore = hangar.stderr().length;
    const pid = Number(textOf(await invoke(client, "bad", "pid")));
    const floodStarted = performance.now();
    // About 1 MB/s of stderr: wait until at least two suppression summaries were logged.
    await hangar.waitForStderr(/stderr lines suppressed[\s\S]*stderr lines suppressed/, 10_000);
    for (let i = 0; i < 10; i++) {
      const call = await timed(invoke(client, "bad", "echo", { text: `call ${i}` }));
      expect(textOf(call.value)).toBe(`call ${i}`);
      expect(call.ms).toBeLessThan(2_000);
    }
    const registry = await timed(details(client, "bad"));
    expect(registry.ms).toBeLessThan(2_000);
    const info = registry.value;
    expect(info.state).toBe("READY");
    expect(info.pid).toBe(pid);
    expect(info.stderr_tail.length).toBeLessThanOrEqual(200);
    expect(info.stderr_tail.at(-1)).toMatch(/^flood \d+ x+$/);
    await pair.expectNeighbourAnswers();

    // The log holds at most ~50 stderr lines per second of the flood, far below what it wrote.
    const elapsedS = (performance.now() - floodStarted) / 1000;
    const floodLines = hangar.stderr().slice(logBefore).split("\n").filter((line) => /flood \d+ x/.test(line)).length;
    expect(floodLines).toBeLessThanOrEqual(50 * (Math.ceil(elapsedS) + 2));
    const newest = Number(/^flood (\d+) /.exec(info.stderr_tail.at(-1) ?? "")?.[1]);
    expect(newest).toBeGreaterThan(floodLines * 5);

    const stopped = await timed(callTool(client, "registry_stop", { provider: "bad" }));
    expect(stopped.ms).toBeLessThan(3_000);
    await waitForNoProcesses(pair.marker, 3_000);
    expect((await details(client, "bad")).state).toBe("COLD");
    await pair.closeAndExpectNoProcesses();
  });

  it("ignoring SIGTERM: a stop, an idle stop and a transport failure all end the process with SIGKILL after shutdown_timeout_s", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(
        marker,
        { FAULT_IGNORE_SIGTERM: 1, FAULT_OVERSIZE_BYTES: 300_000 },
        { shutdown_timeout_s: 0.5, max_message_bytes: 100_000, idle_ttl_s: 1, restart: fastRestart(0.2) },
      ),
    );
    const { client, hangar } = pair;

    // registry_stop: SIGTERM is ignored, SIGKILL follows after 0.5 s.
    const first = Number(textOf(await invoke(client, "bad", "pid")));
    const stop = await timed(callTool(client, "registry_stop", { provider: "bad" }));
    expect(stop.ms).toBeLessThan(3_000);
    const stopStarted = performance.now();
    await waitForExit(first, 500 + 3_000);
    expect(performance.now() - stopStarted).toBeLessThan(500 + 3_000);
    expect((await details(client, "bad")).state).toBe("COLD");
    await hangar.waitForStderr("ignored SIGTERM");
    expect(hangar.stderr()).toContain("faulty-server: ignoring SIGTERM");

    // Idle stop after idle_ttl_s.
    const second = Number(textOf(await invoke(client, "bad", "pid")));
    await untilDetails(client, "bad", (info) => info.state === "COLD", 1_000 + 3_000, "the idle stop");
    await waitForExit(second, 500 + 3_000);

    // A transport failure (oversize message) while the process would happily go on.
    const third = Number(textOf(await invoke(client, "bad", "pid")));
    const big = await timed(invoke(client, "bad", "echo", { text: "big" }));
    expect(big.ms).toBeLessThan(3_000);
    expect(failureKind(big.value)).toBe("transport");
    await waitForExit(third, 500 + 3_000);
    const restarted = await untilReady(client, "bad", 8_000, third);
    expect(findProcesses(pair.marker)).toEqual([restarted.pid]);
    await pair.expectNeighbourAnswers();
    // Shutdown: the stubborn process needs SIGKILL here too; the hangar still exits cleanly.
    await pair.closeAndExpectNoProcesses();
  });

  it("a grandchild that ignores SIGTERM: it dies with its group on a crash, on a stop, and at shutdown", async () => {
    const pair = await suite.start((marker) =>
      faultyProvider(marker, { FAULT_GRANDCHILD: 1, FAULT_CRASH_ON_CALL: 3 }, { shutdown_timeout_s: 0.5, restart: fastRestart(0.2) }),
    );
    const { client } = pair;
    const leader = Number(textOf(await invoke(client, "bad", "pid")));
    const grandchild = Number(textOf(await invoke(client, "bad", "grandchild")));
    expect(isRunning(grandchild)).toBe(true);
    expect(findProcesses(pair.marker).sort()).toEqual([leader, grandchild].sort());

    // The leader crashes; the grandchild would live on in the group without the hangar.
    const crashed = await timed(invoke(client, "bad", "echo", { text: "boom" }));
    expect(crashed.ms).toBeLessThan(3_000);
    expect(failureKind(crashed.value)).toBe("crash");
    expect(textOf(crashed.value)).toMatch(/exited with code 9/);
    await waitForExit(leader, 2_000);
    await waitForExit(grandchild, 500 + 3_000);

    // Restarted with a new grandchild; registry_stop ends both.
    const restarted = await untilReady(client, "bad", 8_000, leader);
    const newGrandchild = Number(textOf(await invoke(client, "bad", "grandchild")));
    expect(newGrandchild).not.toBe(grandchild);
    expect(findProcesses(pair.marker).sort()).toEqual([restarted.pid, newGrandchild].sort());
    await callTool(client, "registry_stop", { provider: "bad" });
    await waitForNoProcesses(pair.marker, 500 + 3_000);

    // Started again for the shutdown: the hangar's exit leaves neither behind.
    const last = Number(textOf(await invoke(client, "bad", "grandchild")));
    expect(isRunning(last)).toBe(true);
    await pair.expectNeighbourAnswers();
    await pair.closeAndExpectNoProcesses();
    expect(isRunning(last)).toBe(false);
  });
});
