import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Writable } from "node:stream";
import { log } from "../observability/log.js";

/**
 * The guardian: a small `/bin/sh` process that ends the hangar's provider process groups the
 * moment the hangar dies, however it dies. A hangar killed with SIGKILL runs no exit hook; its
 * providers only see their stdin close, and one that ignores that (or a grandchild in its group)
 * would live on until the next hangar's start-up reaps it from the state file (pgid-state.ts).
 *
 * The hangar tells the guardian, over a pipe, each group it starts to own (`+ <pgid> <start>`)
 * and each it has seen gone (`- <pgid>`). The kernel closes that pipe when the hangar exits, by
 * any means: on end of input the guardian sends SIGTERM to every group still listed, waits up to
 * each group's grace period (its provider's shutdown_timeout_s) for it to go, SIGKILLs what is
 * left and exits. A clean shutdown has ended
 * and released every group first, so the guardian finds none and exits at once.
 *
 * A group is signalled only while it is the one the hangar started: it still has members, and its
 * leader is either gone (a pgid in use by a group is never handed to a new process) or has the
 * start time (field 22 of /proc/<pid>/stat) recorded when the group was registered — a reused pid
 * is left alone. Without /proc (macOS) the start time is unknown ("-") and the pid alone counts.
 *
 * It leads a session of its own (setsid), so a terminal's Ctrl-C or hang-up reaches the hangar,
 * which shuts down as usual, and not the guardian; it costs one small process, started with the
 * first provider. Off until guardOwnedGroups() is called (cli/serve.ts does): library users and
 * tests get no extra process unasked.
 */
export const GUARDIAN_SCRIPT = `
set -f
groups=' '
while read -r op pgid start tenths; do
  case $op in
    +) case $tenths in ''|*[!0-9]*) tenths=50 ;; esac
       groups="$groups$pgid:$start:$tenths " ;;
    -) case $groups in
         *" $pgid:"*) rest=\${groups#* $pgid:}; groups="\${groups%% $pgid:*} \${rest#* }" ;;
       esac ;;
  esac
done
ours() {
  want=$2
  kill -s 0 -- "-$1" 2>/dev/null || return 1
  [ "$want" = - ] && return 0
  read -r stat < "/proc/$1/stat" 2>/dev/null || return 0
  set -- \${stat##*) }
  [ $# -ge 20 ] || return 1
  shift 19
  [ "$1" = "$want" ]
}
left=''
for entry in $groups; do
  pgid=\${entry%%:*}
  rest=\${entry#*:}
  if ours "$pgid" "\${rest%%:*}"; then
    kill -s TERM -- "-$pgid" 2>/dev/null
    left="$left $pgid:\${rest#*:}"
  fi
done
waited=0
while [ -n "$left" ]; do
  sleep 0.1
  waited=$((waited + 1))
  still=''
  for entry in $left; do
    pgid=\${entry%%:*}
    kill -s 0 -- "-$pgid" 2>/dev/null || continue
    if [ "$waited" -ge "\${entry#*:}" ]; then kill -s KILL -- "-$pgid" 2>/dev/null; else still="$still $entry"; fi
  done
  left=$still
done
`;

/** The name the guardian runs under ($0 of its shell: `ps` shows it). */
export const GUARDIAN_NAME = "mcp-hangar-guardian";

export type GuardianProcess = ChildProcessByStdio<Writable, null, null>;

/** Starts a guardian; at the end of its input it ends the groups it was told of. Its output goes nowhere. */
export function spawnGuardian(): GuardianProcess {
  return spawn("/bin/sh", ["-c", GUARDIAN_SCRIPT, GUARDIAN_NAME], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
    cwd: "/",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
}

/** A group as the guardian is told it: its pgid, its leader's start time ("-" when unknown) and its grace before SIGKILL. */
export function guardLine(group: GuardedGroup): string {
  return `+ ${group.pgid} ${group.startTime ?? "-"} ${Math.max(1, Math.ceil(group.graceMs / 100))}\n`;
}

export function releaseLine(pgid: number): string {
  return `- ${pgid}\n`;
}

export interface GuardedGroup {
  pgid: number;
  /** Its leader's start time when it was registered (null when unknown). */
  startTime: string | null;
  /** How long it has between SIGTERM and SIGKILL (rounded up to tenths of a second). */
  graceMs: number;
}

// ---------------------------------------------------------------------------------------------
// This hangar's guardian (fed by the process registry)

/** The groups the registry owns, for a guardian that starts (set by guardOwnedGroups: guarding is on). */
let ownedGroups: (() => readonly GuardedGroup[]) | undefined;
let guardian: GuardianProcess | undefined;
let warnedGone = false;

/**
 * Turns the guardian on, given the registry's groups (process-registry.ts guardedGroups): it
 * starts with the first provider group, or now when groups are owned already. Idempotent.
 */
export function guardOwnedGroups(groups: () => readonly GuardedGroup[]): void {
  ownedGroups = groups;
  if (guardian === undefined && groups().length > 0) startGuardian();
}

/** Called by the process registry for every group it starts to own (after listing it). */
export function noteGroupGuarded(group: GuardedGroup): void {
  if (ownedGroups === undefined) return;
  if (guardian === undefined) startGuardian();
  else tell(guardian, guardLine(group));
}

/** Called by the process registry once a group is confirmed gone. */
export function noteGroupUnguarded(pgid: number): void {
  if (guardian !== undefined) tell(guardian, releaseLine(pgid));
}

function startGuardian(): void {
  const child = spawnGuardian();
  guardian = child;
  // Neither the process nor its pipe keeps the hangar's event loop alive: the pipe is meant to
  // stay open until the hangar exits.
  child.unref();
  (child.stdin as Writable & { unref?: () => void }).unref?.();
  child.stdin.on("error", () => undefined); // EPIPE once it has gone: the 'exit' below says so
  child.once("error", (error) => {
    lost(child, `the guardian could not start (${error.message})`);
  });
  child.once("exit", (code, signal) => {
    lost(child, `the guardian exited (${signal ?? `code ${String(code)}`})`);
  });
  // Everything owned so far, the new group included (a guardian started again after losing one).
  let lines = "";
  for (const group of ownedGroups?.() ?? []) lines += guardLine(group);
  tell(child, lines);
}

function tell(child: GuardianProcess, lines: string): void {
  if (lines !== "" && child.stdin.writable) child.stdin.write(lines);
}

/** A guardian gone while the hangar lives: the next group starts another, which is told every group. */
function lost(child: GuardianProcess, why: string): void {
  if (guardian !== child) return;
  guardian = undefined;
  if (warnedGone) return;
  warnedGone = true;
  log.warn(`${why}; provider groups are not guarded against the hangar's sudden death until the next provider starts one again`);
}
