import type { ChildProcess } from "node:child_process";
// terminate.ts records its work here and terminateAll calls it back: a deliberate import cycle
// between two modules that only use each other's functions at call time, never while loading.
import { terminateProcessGroup } from "./terminate.js";
import { noteGroupGuarded, noteGroupUnguarded, type GuardedGroup } from "./group-guardian.js";
import { noteGroupOwned, noteGroupReleased } from "./pgid-state.js";
import { processStartTime } from "./process-table.js";

/**
 * Every process group the hangar started, from spawn until the group is confirmed gone. This is
 * what makes "no orphaned providers" checkable: shutdown ends everything listed here, and if the
 * hangar exits anyway, a synchronous exit hook SIGKILLs whatever is still listed. If it is
 * SIGKILLed (no hook runs), the guardian (group-guardian.ts) ends them as it dies, and the state
 * file kept by pgid-state.ts lets the next hangar reap any the guardian could not.
 */
interface Entry {
  child: ChildProcess;
  /** Set while terminateProcessGroup works on this group. */
  termination: Promise<void> | undefined;
  /** What the guardian is told of the group (and told again should it be started anew). */
  guarded: GuardedGroup;
}

const groups = new Map<number, Entry>();
let exitHookInstalled = false;

/** Default grace for terminateAll when the caller has no per-provider value. */
export const DEFAULT_GRACE_MS = 5_000;

/**
 * Called by spawnProcessGroup for every child that got a pid (pid = pgid: it leads its group);
 * `graceMs` is what the group gets between SIGTERM and SIGKILL should the hangar die suddenly.
 */
export function registerProcessGroup(child: ChildProcess, graceMs: number = DEFAULT_GRACE_MS): void {
  const pgid = child.pid;
  if (pgid === undefined) return;
  const startTime = processStartTime(pgid) ?? null;
  const guarded = { pgid, startTime, graceMs };
  groups.set(pgid, { child, termination: undefined, guarded });
  // Into the state file (when recording), so a later hangar can reap the group if this one is SIGKILLed,
  // and to the guardian (when guarding), which ends it the moment this one dies.
  noteGroupOwned(pgid, startTime);
  noteGroupGuarded(guarded);
  installExitHook();
}

/** Called once the group is confirmed gone; after this its pgid may be reused by the OS. */
export function unregisterProcessGroup(pgid: number): void {
  if (!groups.delete(pgid)) return;
  noteGroupReleased(pgid);
  noteGroupUnguarded(pgid);
}

export function isProcessGroupRegistered(pgid: number): boolean {
  return groups.has(pgid);
}

/** The groups still owned by the hangar, as the guardian is told them (a guardian started anew is told them all). */
export function guardedGroups(): GuardedGroup[] {
  return [...groups.values()].map((entry) => entry.guarded);
}

/** The pgids still owned by the hangar (for diagnostics and tests). */
export function registeredProcessGroups(): number[] {
  return [...groups.keys()];
}

/** terminateProcessGroup records its promise so shutdown can await work started elsewhere. */
export function trackTermination(pgid: number, termination: Promise<void>): void {
  const entry = groups.get(pgid);
  if (entry === undefined) return;
  entry.termination = termination;
  const clear = (): void => {
    if (entry.termination === termination) entry.termination = undefined;
  };
  // Both paths clear: a rejection here must not turn into an unhandled one.
  void termination.then(clear, clear);
}

export function terminationOf(pgid: number): Promise<void> | undefined {
  return groups.get(pgid)?.termination;
}

/**
 * Resolves when every termination in progress has finished, including ones that start while
 * waiting (a connection stopped during shutdown starts its own).
 */
export async function pendingTerminations(): Promise<void> {
  for (;;) {
    const pending = [...groups.values()].flatMap((entry) => (entry.termination === undefined ? [] : [entry.termination]));
    if (pending.length === 0) return;
    await Promise.allSettled(pending);
  }
}

/**
 * Ends every registered group (SIGTERM, grace, SIGKILL) and waits until all are gone. The
 * hangar's shutdown awaits this after stopping its actors; groups already being terminated by
 * their connection keep their own grace period.
 */
export async function terminateAll(graceMs: number = DEFAULT_GRACE_MS): Promise<void> {
  await Promise.allSettled([...groups.values()].map((entry) => terminateProcessGroup(entry.child, graceMs)));
  await pendingTerminations();
}

/**
 * Last resort when the hangar exits without an orderly shutdown (an uncaught error, a
 * process.exit somewhere); installed as a process 'exit' handler with the first registration.
 * 'exit' handlers must be synchronous, so this cannot wait for a grace period: SIGKILL is the
 * only signal that is sure to work without waiting. Exported for a fatal-error path and tests.
 */
export function killRegisteredGroupsNow(): void {
  for (const pgid of groups.keys()) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // ESRCH: already gone. Nothing else can be done from inside an exit handler.
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killRegisteredGroupsNow);
}
