import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ownStateFilePath,
  reapOrphanedGroups,
  recordOwnedGroups,
  stateDir,
  stateFileName,
  stopRecordingOwnedGroups,
  type HangarStateFile,
} from "../../src/actors/pgid-state.js";
import { spawnProcessGroup } from "../../src/actors/process-group.js";
import { registeredProcessGroups, terminateAll } from "../../src/actors/process-registry.js";
import { bootId, readProcStat } from "../../src/actors/process-table.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { waitFor } from "../helpers/wait.js";
import { isAlive, silentLog } from "./connection-harness.js";

const node = process.execPath;
const STUBBORN = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1 << 30)";
/**
 * A stand-in for a hangar: starts a stubborn child in a process group of its own (as the hangar
 * does with providers), prints the child's pid, and stays.
 */
const FAKE_HANGAR =
  `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { detached: true, stdio: 'ignore' });` +
  `console.log(c.pid); setInterval(() => {}, 1 << 30)`;

let dir: string;
/**
 * What this file started outside the registry, SIGKILLed after each test: negative numbers are
 * process groups. A process the test has already killed (and Node reaped) is taken off the list,
 * so a reused pid is never signalled.
 */
const strays = new Set<number>();

beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "hangar-state-"));
});
afterEach(async () => {
  stopRecordingOwnedGroups();
  for (const target of strays) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // gone already
    }
  }
  strays.clear();
  await terminateAll(200);
  rmSync(dir, { recursive: true, force: true });
});

function startTime(pid: number): string {
  const stat = readProcStat(pid);
  if (stat === undefined) throw new Error(`no process ${pid}`);
  return stat.startTime;
}

async function firstLine(child: ChildProcess): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const [chunk] = (await once(child.stdout ?? child, "data")) as [Buffer];
    text += chunk.toString("utf8");
  }
  return text.slice(0, text.indexOf("\n"));
}

/** A fake hangar and the provider group it owns. */
async function fakeHangar(): Promise<{ hangar: ChildProcess; hangarPid: number; pgid: number }> {
  const hangar = spawn(node, ["-e", FAKE_HANGAR], { stdio: ["ignore", "pipe", "ignore"] });
  if (hangar.pid === undefined) throw new Error("spawn failed");
  strays.add(hangar.pid);
  const pgid = Number(await firstLine(hangar));
  strays.add(-pgid);
  await waitFor(() => readProcStat(pgid)?.pgrp === pgid, 5_000, "the provider group");
  return { hangar, hangarPid: hangar.pid, pgid };
}

function writeState(state: Partial<HangarStateFile> & Pick<HangarStateFile, "pid" | "groups">): string {
  const full: HangarStateFile = { version: 1, startTime: null, bootId: bootId() ?? null, ...state };
  const path = join(dir, stateFileName(state.pid));
  writeFileSync(path, JSON.stringify(full));
  return path;
}

async function sigkill(child: ChildProcess): Promise<void> {
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
  if (child.pid !== undefined) strays.delete(child.pid);
}

describe("stateDir", () => {
  it("prefers MCP_HANGAR_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state", () => {
    expect(stateDir({ MCP_HANGAR_STATE_DIR: "/x/state", XDG_STATE_HOME: "/xdg" })).toBe("/x/state");
    expect(stateDir({ XDG_STATE_HOME: "/xdg" })).toBe("/xdg/mcp-hangar");
    expect(stateDir({ MCP_HANGAR_STATE_DIR: "", XDG_STATE_HOME: "" })).toMatch(/\/\.local\/state\/mcp-hangar$/);
  });
});

describe("recording the groups this hangar owns", () => {
  it("writes the file when a group is registered and removes it when none is left", async () => {
    const path = recordOwnedGroups({ dir: join(dir, "nested") });
    expect(path).toBe(join(dir, "nested", `hangar-${process.pid}.json`));
    expect(ownStateFilePath()).toBe(path);
    expect(existsSync(path)).toBe(false); // nothing owned yet
    const child = spawnProcessGroup([node, "-e", STUBBORN], { cwd: process.cwd(), env: {} });
    const pgid = child.pid ?? -1;
    const state = JSON.parse(readFileSync(path, "utf8")) as HangarStateFile;
    expect(state).toEqual({
      version: 1,
      pid: process.pid,
      startTime: startTime(process.pid),
      bootId: bootId(),
      groups: [{ pgid, startTime: startTime(pgid) }],
    });
    // Atomic writes leave no temp file behind.
    expect(readdirSync(join(dir, "nested"))).toEqual([`hangar-${process.pid}.json`]);
    await terminateAll(200);
    expect(registeredProcessGroups()).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });

  it("the file of a recording hangar is never reaped by itself", async () => {
    const path = recordOwnedGroups({ dir });
    const child = spawnProcessGroup([node, "-e", STUBBORN], { cwd: process.cwd(), env: {} });
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(isAlive(child.pid ?? -1)).toBe(true);
    expect(existsSync(path)).toBe(true);
  });
});

describe("reapOrphanedGroups", () => {
  it("kills the groups of a hangar that was SIGKILLed, and deletes its file", async () => {
    const { hangar, hangarPid, pgid } = await fakeHangar();
    const path = writeState({ pid: hangarPid, startTime: startTime(hangarPid), groups: [{ pgid, startTime: startTime(pgid) }] });
    await sigkill(hangar);
    expect(isAlive(pgid)).toBe(true); // the orphan survived its hangar
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [pgid] });
    await waitFor(() => !isAlive(pgid), 5_000, "the orphan to die");
    expect(existsSync(path)).toBe(false);
  });

  it("kills a group whose leader is gone but whose members remain", async () => {
    // The leader starts a stubborn member of its own group and exits: a wrapper gone, its server left.
    const leader = spawn(
      node,
      ["-e", `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(STUBBORN)}], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1 << 30)`],
      { detached: true, stdio: ["ignore", "pipe", "ignore"] },
    );
    const pgid = leader.pid ?? -1;
    strays.add(-pgid);
    const member = Number(await firstLine(leader));
    const recorded = startTime(pgid);
    await sigkill(leader);
    expect(isAlive(member)).toBe(true);
    const { hangar, hangarPid } = await fakeHangar();
    writeState({ pid: hangarPid, startTime: startTime(hangarPid), groups: [{ pgid, startTime: recorded }] });
    await sigkill(hangar);
    expect((await reapOrphanedGroups({ dir, log: silentLog })).reaped).toEqual([pgid]);
    await waitFor(() => !isAlive(member), 5_000, "the member to die");
  });

  it("leaves the file and groups of a live hangar alone", async () => {
    const { hangarPid, pgid } = await fakeHangar();
    const path = writeState({ pid: hangarPid, startTime: startTime(hangarPid), groups: [{ pgid, startTime: startTime(pgid) }] });
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(isAlive(pgid)).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it("treats a hangar pid now used by another process (other start time) as dead", async () => {
    const { hangarPid, pgid } = await fakeHangar();
    // The live process at hangarPid started at another time than the hangar that wrote the file.
    const path = writeState({ pid: hangarPid, startTime: "1", groups: [{ pgid, startTime: startTime(pgid) }] });
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [pgid] });
    expect(isAlive(pgid)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it("never kills a reused pgid (the leader's start time differs)", async () => {
    const { hangar, hangarPid, pgid } = await fakeHangar();
    const path = writeState({ pid: hangarPid, startTime: startTime(hangarPid), groups: [{ pgid, startTime: "12345" }] });
    await sigkill(hangar);
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(isAlive(pgid)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("never kills groups recorded before a reboot, or without a start time", async () => {
    const { hangar, hangarPid, pgid } = await fakeHangar();
    writeState({ pid: hangarPid, startTime: startTime(hangarPid), bootId: "another-boot", groups: [{ pgid, startTime: startTime(pgid) }] });
    await sigkill(hangar);
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    writeState({ pid: hangarPid, startTime: null, groups: [{ pgid, startTime: null }] });
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(isAlive(pgid)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("copes with a missing directory, foreign files, unreadable files and leftover temp files", async () => {
    expect(await reapOrphanedGroups({ dir: join(dir, "missing"), log: silentLog })).toEqual({ reaped: [] });
    const { hangar, hangarPid } = await fakeHangar();
    writeFileSync(join(dir, "notes.txt"), "not ours");
    writeFileSync(join(dir, stateFileName(hangarPid)), "{ truncated");
    writeFileSync(join(dir, `${stateFileName(hangarPid)}.tmp`), "{");
    // Unreadable, but its hangar lives: kept.
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(readdirSync(dir).sort()).toEqual([stateFileName(hangarPid), `${stateFileName(hangarPid)}.tmp`, "notes.txt"]);
    await sigkill(hangar);
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
    // pgid 1 (or less) would signal everything: refused as an unknown shape.
    writeState({ pid: hangarPid, groups: [{ pgid: 1, startTime: "1" }] });
    expect(await reapOrphanedGroups({ dir, log: silentLog })).toEqual({ reaped: [] });
  });
});
