import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { registerProcessGroup, terminationOf, unregisterProcessGroup } from "./process-registry.js";
import { isProcessGroupAlive } from "./process-table.js";

export interface SpawnGroupOptions {
  cwd: string;
  /** The complete environment of the child (see provider-env.ts); nothing else is inherited. */
  env: Record<string, string>;
  /** Between SIGTERM and SIGKILL should the hangar die suddenly (the guardian's; default DEFAULT_GRACE_MS). */
  graceMs?: number;
}

/**
 * The only way the hangar starts a process. The child leads a new process group (`detached`
 * calls setsid), so one signal to `-pid` reaches everything it starts in turn, and it does not
 * receive the terminal's Ctrl-C: the hangar decides when providers stop. The group is registered
 * before this returns, so no spawned process is ever unowned.
 *
 * Spawn failures such as ENOENT arrive later as the child's 'error' event (pid undefined, nothing
 * registered); only an empty argv throws here.
 */
export function spawnProcessGroup(argv: readonly string[], options: SpawnGroupOptions): ChildProcessWithoutNullStreams {
  const [command, ...args] = argv;
  if (command === undefined || command === "") throw new Error("cannot spawn an empty command");
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: "pipe",
    shell: false,
    windowsHide: true,
  });
  const pgid = child.pid;
  if (pgid !== undefined) {
    registerProcessGroup(child, options.graceMs);
    // A provider that exits on its own with nothing left in its group needs no termination; drop
    // it now so a late terminate cannot signal a pgid the OS has handed to another process.
    child.once("exit", () => {
      if (terminationOf(pgid) === undefined && !isProcessGroupAlive(pgid)) unregisterProcessGroup(pgid);
    });
  }
  return child;
}
