import { readdirSync, readFileSync } from "node:fs";
import { GUARDIAN_NAME } from "../../src/actors/group-guardian.js";
import { waitFor } from "./wait.js";

/**
 * The OS process table as the e2e tests see it (Linux /proc). A test tags the provider
 * processes it causes with a unique marker — an argument on their command line and/or an
 * environment variable value — and finds them again here, whoever their parent is by then.
 * Zombies (state Z, or X while being reaped) have finished running and do not count: in a
 * container nobody may ever reap a reparented provider.
 */

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** The fields of /proc/<pid>/stat after the command name (state, ppid, …), or undefined when the process is gone. */
function statFields(pid: number | string): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name in parentheses may contain spaces and ')': the state follows the last ')'.
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** The state letter of /proc/<pid>/stat (R, S, D, Z, …), or undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The pids of running (non-zombie) processes whose command line or environment contains `marker`. */
export function findProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const cmdline = readText(`/proc/${name}/cmdline`);
    // A process exec()ing or exiting may have an empty cmdline; environ still tells.
    const tagged = cmdline?.includes(marker) === true || readText(`/proc/${name}/environ`)?.includes(marker) === true;
    if (tagged && isRunning(pid)) found.push(pid);
  }
  return found;
}

/** Resolves once no running process carries `marker`; rejects naming the survivors after `timeoutMs`. */
export async function waitForNoProcesses(marker: string, timeoutMs = 5_000): Promise<void> {
  try {
    await waitFor(() => findProcesses(marker).length === 0, timeoutMs, `no process with marker ${marker}`);
  } catch {
    const survivors = findProcesses(marker);
    if (survivors.length === 0) return;
    throw new Error(`processes with marker ${marker} still running after ${timeoutMs} ms: ${survivors.map(describeProcess).join("; ")}`);
  }
}

/** Resolves once `pid` has exited (or is a zombie). */
export async function waitForExit(pid: number, timeoutMs = 5_000): Promise<void> {
  await waitFor(() => !isRunning(pid), timeoutMs, `process ${pid} to exit`);
}

/** `pid (state) command line`, for failure messages. */
export function describeProcess(pid: number): string {
  const cmdline = readText(`/proc/${pid}/cmdline`)?.split("\0").join(" ").trim() ?? "?";
  return `${pid} (${processState(pid) ?? "gone"}) ${cmdline}`;
}

/** Sends `signal` to `pid` unless it has exited meanwhile (found by a scan, it can be gone before the kill); true if it was sent. */
export function killIfAlive(pid: number, signal: NodeJS.Signals = "SIGKILL"): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** SIGKILLs every process carrying `marker` (cleanup after a failed test); returns what it killed. */
export function killProcesses(marker: string): number[] {
  const pids = findProcesses(marker);
  for (const pid of pids) killIfAlive(pid);
  return pids;
}

/** The hangar's guardian (src/actors/group-guardian.ts): its child running as `mcp-hangar-guardian`, if one runs. */
export function guardianOf(hangarPid: number): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    if (Number(statFields(name)?.[1]) === hangarPid && readText(`/proc/${name}/cmdline`)?.includes(GUARDIAN_NAME) === true && isRunning(Number(name))) return Number(name);
  }
  return undefined;
}
