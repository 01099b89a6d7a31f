import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { log as hangarLog, type Logger } from "../observability/log.js";
import { bootId, groupMembers, groupSignalable, hasProcStat, isErrno, pidExists, processStartTime, readProcStat } from "./process-table.js";

/**
 * The process groups this hangar owns, kept in a small state file so that a hangar killed with
 * SIGKILL (no exit hook runs) does not leave providers behind for good: the next hangar to start
 * reads the files of hangars that are no longer alive and SIGKILLs the groups they recorded.
 *
 * One file per hangar process, `<state dir>/hangar-<pid>.json`, written atomically (temp file +
 * rename) whenever the process registry adds or drops a group, and deleted when the hangar owns
 * no group any more (so a clean shutdown leaves nothing) or exits. Start times (field 22 of
 * /proc/<pid>/stat) and the boot id tell a live process from a later one that got the same pid;
 * without /proc (macOS) liveness falls back to the pid alone.
 *
 * Recording is off until recordOwnedGroups() is called (cli/main.ts does, before any provider
 * starts): library users and tests do not write into the user's home by accident.
 */

/** One hangar's state file. */
export interface HangarStateFile {
  version: 1;
  pid: number;
  /** The hangar's start time (null without /proc). */
  startTime: string | null;
  /** /proc/sys/kernel/random/boot_id (null without /proc): start times compare only within a boot. */
  bootId: string | null;
  groups: OwnedGroup[];
}

export interface OwnedGroup {
  pgid: number;
  /** The group leader's start time when it was registered (null when unknown). */
  startTime: string | null;
}

const FILE_PATTERN = /^hangar-(\d+)\.json$/;
const TEMP_PATTERN = /^hangar-(\d+)\.json\.tmp$/;
/** After SIGKILL, how long reaping waits for the groups to disappear (SIGKILL cannot be refused). */
const REAP_WAIT_MS = 2_000;
const REAP_POLL_MS = 20;

/** `$MCP_HANGAR_STATE_DIR`, else `$XDG_STATE_HOME/mcp-hangar`, else `~/.local/state/mcp-hangar`. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.MCP_HANGAR_STATE_DIR;
  if (explicit !== undefined && explicit !== "") return explicit;
  const xdg = env.XDG_STATE_HOME;
  if (xdg !== undefined && xdg !== "") return join(xdg, "mcp-hangar");
  return join(homedir(), ".local", "state", "mcp-hangar");
}

export function stateFileName(pid: number): string {
  return `hangar-${pid}.json`;
}

// ---------------------------------------------------------------------------------------------
// Recording (this hangar's own file)

/** Every group the registry currently lists, with its leader's start time read at registration. */
const owned = new Map<number, string | null>();
let recording: { dir: string; path: string; self: Omit<HangarStateFile, "groups"> } | undefined;
let writeFailed = false;
let exitHookInstalled = false;

export interface RecordOptions {
  /** Default: stateDir(env). */
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts keeping this hangar's state file; returns its path. Call once at start-up, after
 * reapOrphanedGroups() and before the first provider starts. Idempotent (a second call with
 * another dir moves the file).
 */
export function recordOwnedGroups(options: RecordOptions = {}): string {
  const dir = options.dir ?? stateDir(options.env);
  if (recording !== undefined && recording.dir !== dir) removeStateFile();
  const path = join(dir, stateFileName(process.pid));
  recording = {
    dir,
    path,
    self: { version: 1, pid: process.pid, startTime: processStartTime(process.pid) ?? null, bootId: bootId() ?? null },
  };
  writeFailed = false;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", removeStateFile);
  }
  writeStateFile();
  return path;
}

/** Stops recording and deletes the file (tests; a hangar that hands its groups to nobody). */
export function stopRecordingOwnedGroups(): void {
  removeStateFile();
  recording = undefined;
}

/** The file recordOwnedGroups writes, or undefined while not recording. */
export function ownStateFilePath(): string | undefined {
  return recording?.path;
}

/** Called by the process registry for every group it starts to own. */
export function noteGroupOwned(pgid: number, startTime: string | null): void {
  owned.set(pgid, startTime);
  writeStateFile();
}

/** Called by the process registry once a group is confirmed gone. */
export function noteGroupReleased(pgid: number): void {
  if (!owned.delete(pgid)) return;
  writeStateFile();
}

function writeStateFile(): void {
  if (recording === undefined) return;
  if (owned.size === 0) {
    removeStateFile();
    return;
  }
  const state: HangarStateFile = { ...recording.self, groups: [...owned].map(([pgid, startTime]) => ({ pgid, startTime })) };
  const temp = `${recording.path}.tmp`;
  try {
    mkdirSync(recording.dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    renameSync(temp, recording.path);
    writeFailed = false;
  } catch (error) {
    // Not fatal: the hangar still ends its groups itself; only reaping after a SIGKILL is lost.
    if (!writeFailed) hangarLog.warn("could not write the process-group state file", { path: recording.path, error });
    writeFailed = true;
  }
}

function removeStateFile(): void {
  if (recording === undefined) return;
  unlinkQuietly(recording.path);
}

// ---------------------------------------------------------------------------------------------
// Reaping (the files of hangars that are gone)

export interface ReapOptions {
  /** Default: stateDir(env). */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

/**
 * At hangar start: for each other hangar's state file whose hangar is no longer alive (its pid is
 * gone, or now belongs to a process with another start time, or the machine rebooted since), SIGKILL
 * every recorded group that is still the same group, then delete the file. Files of live hangars
 * are left alone. Resolves with the pgids it killed, once they are gone (or after 2 s). Never
 * rejects: an unreadable directory or file is logged and skipped.
 *
 * "Still the same group": the leader (pid = pgid) has the recorded start time. When the leader
 * has exited but members of its group remain (a wrapper gone, its server lingering), the pgid
 * number cannot have been reused while they exist; they are killed if each started no earlier
 * than the recorded leader. A group without a recorded start time is never killed on a system
 * with /proc; without /proc (macOS) the pid alone has to do.
 */
export async function reapOrphanedGroups(options: ReapOptions = {}): Promise<{ reaped: number[] }> {
  const dir = options.dir ?? stateDir(options.env);
  const log = options.log ?? hangarLog;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (!isErrno(error, "ENOENT")) log.warn("could not read the process-group state directory", { dir, error });
    return { reaped: [] };
  }
  const reaped: number[] = [];
  for (const name of names) {
    const temp = TEMP_PATTERN.exec(name);
    if (temp !== null) {
      // A write interrupted by a crash; the hangar that made it owns nothing through it.
      if (!isAnotherLiveHangar(Number(temp[1]), undefined)) unlinkQuietly(join(dir, name));
      continue;
    }
    const match = FILE_PATTERN.exec(name);
    if (match === null) continue;
    const path = join(dir, name);
    const state = readStateFile(path, log);
    if (state === undefined) {
      if (!isAnotherLiveHangar(Number(match[1]), undefined)) unlinkQuietly(path);
      continue;
    }
    if (isThisHangar(state) || isAnotherLiveHangar(state.pid, state)) continue;
    const killed: number[] = [];
    for (const group of state.groups) {
      if (!isStillTheSameGroup(group, state)) continue;
      try {
        process.kill(-group.pgid, "SIGKILL");
        killed.push(group.pgid);
      } catch (error) {
        if (!isErrno(error, "ESRCH")) log.warn("could not kill an orphaned provider group", { pgid: group.pgid, error });
      }
    }
    if (killed.length > 0) log.warn("killed provider process groups left by a hangar that is gone", { hangarPid: state.pid, pgids: killed });
    reaped.push(...killed);
    unlinkQuietly(path);
  }
  await waitUntilGone(reaped);
  return { reaped };
}

function readStateFile(path: string, log: Logger): HangarStateFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    log.warn("unreadable process-group state file", { path, error });
    return undefined;
  }
  if (!isStateFile(value)) {
    log.warn("process-group state file has an unknown shape", { path });
    return undefined;
  }
  return value;
}

function isStateFile(value: unknown): value is HangarStateFile {
  if (typeof value !== "object" || value === null) return false;
  const state = value as Partial<Record<keyof HangarStateFile, unknown>>;
  return (
    state.version === 1 &&
    isPositiveInteger(state.pid) &&
    isNullableString(state.startTime) &&
    isNullableString(state.bootId) &&
    Array.isArray(state.groups) &&
    state.groups.every((group: unknown) => {
      if (typeof group !== "object" || group === null) return false;
      const g = group as Partial<Record<keyof OwnedGroup, unknown>>;
      // pgid 1 or less would make kill(-pgid) mean "every process I may signal".
      return isPositiveInteger(g.pgid) && g.pgid > 1 && isNullableString(g.startTime);
    })
  );
}

function isThisHangar(state: HangarStateFile): boolean {
  return state.pid === process.pid && state.startTime === (processStartTime(process.pid) ?? null);
}

/**
 * Whether `pid` is a running hangar other than this one — the one that wrote `state` when given.
 * Errs towards "alive": a live hangar's groups must never be touched.
 */
function isAnotherLiveHangar(pid: number, state: HangarStateFile | undefined): boolean {
  if (pid === process.pid) return false; // the pid is ours now: whoever wrote the file is gone
  if (!pidExists(pid)) return false;
  if (!hasProcStat()) return true; // no start times: the pid is all there is
  if (state !== undefined && differentBoot(state)) return false;
  const now = processStartTime(pid);
  if (now === undefined) return false; // a zombie: it has finished
  return state === undefined || state.startTime === null || state.startTime === now;
}

function isStillTheSameGroup(group: OwnedGroup, state: HangarStateFile): boolean {
  if (group.pgid === process.pid) return false;
  if (!hasProcStat()) return groupSignalable(group.pgid);
  if (differentBoot(state) || group.startTime === null) return false;
  const leader = readProcStat(group.pgid);
  if (leader !== undefined && leader.state !== "Z" && leader.state !== "X") {
    return leader.startTime === group.startTime && leader.pgrp === group.pgid;
  }
  const members = groupMembers(group.pgid) ?? [];
  const recorded = BigInt(group.startTime);
  return members.length > 0 && members.every((member) => BigInt(member.startTime) >= recorded);
}

function differentBoot(state: HangarStateFile): boolean {
  const current = bootId();
  return state.bootId !== null && current !== undefined && state.bootId !== current;
}

async function waitUntilGone(pgids: readonly number[]): Promise<void> {
  const deadline = performance.now() + REAP_WAIT_MS;
  while (pgids.some((pgid) => groupRemains(pgid)) && performance.now() < deadline) await sleep(REAP_POLL_MS);
}

function groupRemains(pgid: number): boolean {
  if (!groupSignalable(pgid)) return false;
  const members = groupMembers(pgid);
  return members === undefined || members.length > 0;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already (another hangar reaped it), or not ours to delete
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}
