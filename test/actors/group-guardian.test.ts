import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { guardLine, releaseLine, spawnGuardian, type GuardianProcess } from "../../src/actors/group-guardian.js";
import { processStartTime } from "../../src/actors/process-table.js";
import { isRunning, killIfAlive, waitForExit } from "../helpers/processes.js";

/**
 * The guardian's script with real process groups: what it is told over its pipe, and what it
 * does when the pipe ends (as it does when the hangar dies, however it dies).
 */
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) if (child.pid !== undefined) killIfAlive(-child.pid);
});

/** A process group led by a node process that ignores SIGTERM or not, optionally with a child of its own that ignores it. */
async function group(options: { ignoreTerm?: boolean; lingeringChild?: boolean } = {}): Promise<{ leader: number; child?: number }> {
  const ignore = "process.on('SIGTERM', () => {});";
  const childCode = `${ignore} setInterval(() => {}, 1e9)`;
  const code = [
    options.ignoreTerm === true ? ignore : "",
    options.lingeringChild === true
      ? `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(childCode)}], { stdio: 'ignore' }); process.stdout.write(c.pid + '\\n');`
      : "process.stdout.write('\\n');",
    "setInterval(() => {}, 1e9);",
  ].join(" ");
  const leader = spawn(process.execPath, ["-e", code], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  started.push(leader);
  const [chunk] = (await once(leader.stdout, "data")) as [Buffer];
  const childPid = chunk.toString().trim();
  if (leader.pid === undefined) throw new Error("no pid");
  return { leader: leader.pid, child: childPid === "" ? undefined : Number(childPid) };
}

function startTime(pid: number): string {
  const time = processStartTime(pid);
  if (time === undefined) throw new Error(`no start time for ${pid}`);
  return time;
}

async function endInput(guardian: GuardianProcess): Promise<number> {
  const t0 = performance.now();
  const exited = once(guardian, "exit");
  guardian.stdin.end();
  await exited;
  return performance.now() - t0;
}

describe("the group guardian", () => {
  it("at the end of its input ends each group it was told of: SIGTERM, and SIGKILL after the group's grace for one that ignores it; then it exits", async () => {
    const polite = await group();
    const stubborn = await group({ ignoreTerm: true, lingeringChild: true });
    const guardian = spawnGuardian();
    guardian.stdin.write(guardLine({ pgid: polite.leader, startTime: startTime(polite.leader), graceMs: 5_000 }));
    guardian.stdin.write(guardLine({ pgid: stubborn.leader, startTime: startTime(stubborn.leader), graceMs: 300 }));
    const tookMs = await endInput(guardian);
    // It exits once the last group has gone: the stubborn one's 300 ms grace, not the polite one's 5 s.
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(4_000);
    await waitForExit(polite.leader, 1_000);
    await waitForExit(stubborn.leader, 1_000);
    await waitForExit(stubborn.child ?? -1, 1_000);
  });

  it("ends a group whose leader has gone while a member lingers (the pgid cannot have been reused meanwhile)", async () => {
    const wrapper = await group({ lingeringChild: true });
    const guardian = spawnGuardian();
    guardian.stdin.write(guardLine({ pgid: wrapper.leader, startTime: startTime(wrapper.leader), graceMs: 1_000 }));
    killIfAlive(wrapper.leader);
    await waitForExit(wrapper.leader, 1_000);
    expect(isRunning(wrapper.child ?? -1)).toBe(true);
    await endInput(guardian);
    await waitForExit(wrapper.child ?? -1, 2_000);
  });

  it("leaves alone a group it was told is gone, and one whose leader's start time is not the one it was told (a reused pid)", async () => {
    const released = await group();
    const reused = await group();
    const guardian = spawnGuardian();
    guardian.stdin.write(guardLine({ pgid: released.leader, startTime: startTime(released.leader), graceMs: 100 }));
    guardian.stdin.write(guardLine({ pgid: reused.leader, startTime: "1", graceMs: 100 }));
    guardian.stdin.write(releaseLine(released.leader));
    await endInput(guardian);
    expect(isRunning(released.leader)).toBe(true);
    expect(isRunning(reused.leader)).toBe(true);
  });

  it("exits at once when the end of its input finds no group (a clean shutdown released them all)", async () => {
    const one = await group();
    const guardian = spawnGuardian();
    guardian.stdin.write(guardLine({ pgid: one.leader, startTime: startTime(one.leader), graceMs: 5_000 }));
    guardian.stdin.write(releaseLine(one.leader));
    expect(await endInput(guardian)).toBeLessThan(1_000);
    expect(isRunning(one.leader)).toBe(true);
  });
});
