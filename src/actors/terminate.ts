import type { ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { log } from "../observability/log.js";
import { isProcessGroupRegistered, terminationOf, trackTermination, unregisterProcessGroup } from "./process-registry.js";
import { groupSignalable, isErrno, liveGroupMembers } from "./process-table.js";

/**
 * THE shutdown routine: every provider process group ends here, whoever asks (a connection's
 * cleanup, the hangar's shutdown). Signals go to the whole group (`-pgid`), so wrappers such as
 * `npx`, `uvx` or a shell script die together with the server they started.
 */

/** Short first polls catch the common case (a server that exits at once); later ones back off. */
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 50;
/** SIGKILL cannot be refused; this only bounds the wait for the kernel to finish the job. */
const AFTER_KILL_WAIT_MS = 2_000;

/**
 * SIGTERM to the group, wait up to `graceMs` for every member to leave, then SIGKILL the group and
 * wait for that too. Idempotent: a second call while the first runs returns the same promise, and
 * a call for a group already confirmed gone does nothing (its pgid may belong to someone else by
 * now). Never rejects. The registry tracks the promise, so shutdown can await it.
 */
export function terminateProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return Promise.resolve(); // never spawned: nothing to end
  const running = terminationOf(pgid);
  if (running !== undefined) return running;
  if (!isProcessGroupRegistered(pgid)) return Promise.resolve();
  const termination = endGroup(child, pgid, Math.max(0, graceMs)).then(
    (gone) => {
      if (gone) unregisterProcessGroup(pgid);
    },
    (error: unknown) => {
      log.error("process group termination failed", { pgid, error });
    },
  );
  trackTermination(pgid, termination);
  return termination;
}

/** Resolves true once no member of the group remains. */
async function endGroup(child: ChildProcess, pgid: number, graceMs: number): Promise<boolean> {
  if (!signalGroup(pgid, "SIGTERM")) return true;
  if (await waitUntilGone(child, pgid, graceMs)) return true;
  log.warn("process group ignored SIGTERM; sending SIGKILL", { pgid, graceMs });
  if (!signalGroup(pgid, "SIGKILL")) return true;
  if (await waitUntilGone(child, pgid, AFTER_KILL_WAIT_MS)) return true;
  // Left registered, so the exit hook and a later terminateAll try again.
  log.error("process group still present after SIGKILL", { pgid, members: liveGroupMembers(pgid) });
  return false;
}

async function waitUntilGone(child: ChildProcess, pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let delay = POLL_FIRST_MS;
  for (;;) {
    if (!groupRemains(child, pgid)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await sleep(Math.min(delay, left));
    delay = Math.min(delay * 2, POLL_MAX_MS);
  }
}

/** False when the group is gone (ESRCH) — or not ours to signal (EPERM), which we cannot fix. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (isErrno(error, "ESRCH") || isErrno(error, "EPERM")) return false;
    throw error;
  }
}

/**
 * Whether a member of the group other than a zombie remains. While Node has not seen the leader
 * exit, the group is alive and /proc need not be read; once it has, remaining members may be
 * zombies nobody reaps (PID 1 in a container often does not), and zombies count as gone.
 */
function groupRemains(child: ChildProcess, pgid: number): boolean {
  if (!groupSignalable(pgid)) return false;
  if (child.exitCode === null && child.signalCode === null) return true;
  const members = liveGroupMembers(pgid);
  return members === undefined || members.length > 0;
}
