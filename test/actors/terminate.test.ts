import { once } from "node:events";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawnProcessGroup } from "../../src/actors/process-group.js";
import {
  isProcessGroupRegistered,
  killRegisteredGroupsNow,
  pendingTerminations,
  registeredProcessGroups,
  terminateAll,
} from "../../src/actors/process-registry.js";
import { liveGroupMembers, readProcStat } from "../../src/actors/process-table.js";
import { terminateProcessGroup } from "../../src/actors/terminate.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { waitFor } from "../helpers/wait.js";
import { isAlive } from "./connection-harness.js";

const node = process.execPath;
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
const IDLE = "setInterval(() => {}, 1 << 30)";
const STUBBORN = `process.on('SIGTERM', () => {}); ${IDLE}`;

function spawnNode(script: string): ChildProcessWithoutNullStreams {
  return spawnProcessGroup([node, "-e", script], { cwd: process.cwd(), env });
}

function pidOf(child: ChildProcessWithoutNullStreams): number {
  if (child.pid === undefined) throw new Error("not spawned");
  return child.pid;
}

/** First line the child prints on stdout. */
async function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const [chunk] = (await once(child.stdout, "data")) as [Buffer];
    text += chunk.toString("utf8");
  }
  return text.slice(0, text.indexOf("\n"));
}

// The SIGKILL warnings are expected here.
beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

afterEach(async () => {
  await terminateAll(200);
  expect(registeredProcessGroups()).toEqual([]);
});

describe("process groups", () => {
  it("spawns argv without a shell, as a registered group leader", async () => {
    const child = spawnProcessGroup(["echo", "$HOME", "a b"], { cwd: process.cwd(), env });
    const pid = pidOf(child);
    expect(isProcessGroupRegistered(pid)).toBe(true);
    expect(await firstLine(child)).toBe("$HOME a b");
    // It exited alone with nothing left in its group: the registry lets go by itself.
    await waitFor(() => !isProcessGroupRegistered(pid), 5_000, "unregistration");
  });

  it("refuses an empty command", () => {
    expect(() => spawnProcessGroup([], { cwd: process.cwd(), env })).toThrow(/empty command/);
  });

  it("leads its own process group", async () => {
    const child = spawnNode(`console.log('up'); ${IDLE}`);
    await firstLine(child);
    expect(readProcStat(pidOf(child))?.pgrp).toBe(child.pid);
    expect(liveGroupMembers(pidOf(child))).toEqual([child.pid]);
  });
});

describe("terminateProcessGroup", () => {
  it("ends a cooperative process on SIGTERM without waiting out the grace period", async () => {
    const child = spawnNode(`console.log('up'); ${IDLE}`);
    await firstLine(child);
    const started = performance.now();
    await terminateProcessGroup(child, 10_000);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(isAlive(pidOf(child))).toBe(false);
    expect(isProcessGroupRegistered(pidOf(child))).toBe(false);
  });

  it("SIGKILLs a group that ignores SIGTERM once the grace period is over", async () => {
    const child = spawnNode(`${STUBBORN}; console.log('up')`);
    await firstLine(child);
    const started = performance.now();
    await terminateProcessGroup(child, 300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    // The group counts as gone only after Node saw the leader exit, so this is already set.
    expect(child.signalCode).toBe("SIGKILL");
  });

  it("is idempotent, and does nothing for a group already confirmed gone", async () => {
    const child = spawnNode(`${STUBBORN}; console.log('up')`);
    await firstLine(child);
    const first = terminateProcessGroup(child, 200);
    expect(terminateProcessGroup(child, 200)).toBe(first);
    await first;
    await expect(terminateProcessGroup(child, 200)).resolves.toBeUndefined();
  });

  it("keeps a group registered while a member outlives the leader, then ends it", async () => {
    // The leader starts a stubborn grandchild and exits: a wrapper whose server lingers.
    const child = spawnNode(
      `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(`${STUBBORN}; console.log('up')`)}], { stdio: ['ignore', 'pipe', 'ignore'] });` +
        `c.stdout.once('data', () => { console.log(c.pid); process.exit(0); });`,
    );
    const grandchild = Number(await firstLine(child));
    if (child.exitCode === null) await once(child, "exit");
    expect(isAlive(grandchild)).toBe(true);
    expect(isProcessGroupRegistered(pidOf(child))).toBe(true);
    await terminateProcessGroup(child, 200);
    expect(isAlive(grandchild)).toBe(false);
    expect(isProcessGroupRegistered(pidOf(child))).toBe(false);
  });

  it("does not count zombies as members", async () => {
    // `exec` replaces the shell with a process that never reaps the background job: a zombie in the group.
    const child = spawnProcessGroup(["sh", "-c", "sleep 0 & echo $!; exec sleep 1000"], { cwd: process.cwd(), env });
    const zombie = Number(await firstLine(child));
    await waitFor(() => readProcStat(zombie)?.state === "Z", 5_000, "the zombie");
    expect(liveGroupMembers(pidOf(child))).toEqual([child.pid]);
  });
});

describe("the registry", () => {
  it("terminateAll ends every group; pendingTerminations waits for terminations started elsewhere", async () => {
    const children = [spawnNode(`${STUBBORN}; console.log('up')`), spawnNode(`console.log('up'); ${IDLE}`)];
    await Promise.all(children.map(firstLine));
    const [stubborn] = children;
    if (stubborn === undefined) throw new Error("unreachable");
    void terminateProcessGroup(stubborn, 300);
    await pendingTerminations();
    expect(isAlive(pidOf(stubborn))).toBe(false);
    await terminateAll(200);
    for (const child of children) expect(isAlive(pidOf(child))).toBe(false);
    expect(registeredProcessGroups()).toEqual([]);
  });

  it("has a synchronous exit hook that SIGKILLs every registered group", async () => {
    const child = spawnNode(`${STUBBORN}; console.log('up')`);
    await firstLine(child);
    expect(process.listeners("exit")).toContain(killRegisteredGroupsNow);
    killRegisteredGroupsNow();
    await waitFor(() => !isAlive(pidOf(child)), 5_000, "SIGKILL to land");
  });
});
