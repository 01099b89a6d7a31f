import { readdirSync, readFileSync } from "node:fs";

/**
 * What the OS says about processes: Linux /proc where there is one, signal 0 everywhere. Read-only;
 * terminate.ts and the process-group state file decide what to do with the answers.
 */

export interface ProcStat {
  state: string;
  ppid: number;
  pgrp: number;
  /**
   * Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot. Together
   * with the pid (and the boot) it names one process: a reused pid has a different start time.
   */
  startTime: string;
}

/** Parses /proc/<pid>/stat; undefined when the process is gone or there is no /proc. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name in parentheses may itself contain spaces and parentheses: split after the last ')'.
  // What follows starts with field 3 (state), so field N is at index N - 3.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const [state, ppid, pgrp] = fields;
  const startTime = fields[19];
  if (state === undefined || ppid === undefined || pgrp === undefined || startTime === undefined) return undefined;
  return { state, ppid: Number(ppid), pgrp: Number(pgrp), startTime };
}

/** Whether this system has a /proc to read start times from (Linux); elsewhere only pids are known. */
export function hasProcStat(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/** The start time of a live (non-zombie) process, or undefined (gone, a zombie, or no /proc). */
export function processStartTime(pid: number): string | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined || stat.state === "Z" || stat.state === "X") return undefined;
  return stat.startTime;
}

/** Identifies the current boot (Linux); start times only compare within one boot. */
export function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (a zombie counts: signal 0 reaches it). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return isErrno(error, "EPERM");
  }
}

/** Like terminate.ts's check for a group whose leader we do not hold: any non-zombie member left. */
export function isProcessGroupAlive(pgid: number): boolean {
  if (!groupSignalable(pgid)) return false;
  const members = liveGroupMembers(pgid);
  return members === undefined || members.length > 0;
}

/** False when the group is gone (ESRCH) — or not ours to signal (EPERM), which we cannot fix. */
export function groupSignalable(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if (isErrno(error, "ESRCH") || isErrno(error, "EPERM")) return false;
    throw error;
  }
}

/**
 * The pids in the group that are not zombies, read from /proc; undefined where there is no /proc
 * (macOS), in which case the kill(0) probe is all we have.
 */
export function liveGroupMembers(pgid: number): number[] | undefined {
  return groupMembers(pgid)?.map((member) => member.pid);
}

/** Like liveGroupMembers, with each member's start time. */
export function groupMembers(pgid: number): { pid: number; startTime: string }[] | undefined {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const members: { pid: number; startTime: string }[] = [];
  for (const name of names) {
    const first = name.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a pid directory
    const pid = Number(name);
    const stat = readProcStat(pid);
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") members.push({ pid, startTime: stat.startTime });
  }
  return members;
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
