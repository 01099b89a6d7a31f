import type { ChildProcessWithoutNullStreams } from "node:child_process";
import type { ProviderSpec } from "../config/types.js";
import { spawnProcessGroup } from "./process-group.js";
import { refusingLauncher, type ProcessLauncher } from "./provider-process.js";
import { providerEnv } from "./provider-env.js";
import { terminateProcessGroup } from "./terminate.js";

/** A provider as its own process group, ended by terminateProcessGroup (see process-group.ts). */
export function subprocessLauncher(spec: ProviderSpec, hangarEnv: NodeJS.ProcessEnv): ProcessLauncher {
  if (spec.mode !== "subprocess") return refusingLauncher(spec, "subprocess");

  // One launcher per connection: it ends the child it started.
  let child: ChildProcessWithoutNullStreams | undefined;
  return {
    description: `${JSON.stringify(spec.command.join(" "))} in ${spec.cwd}`,
    launch: () => (child = spawnProcessGroup(spec.command, { cwd: spec.cwd, env: providerEnv(spec, hangarEnv), graceMs: spec.shutdownGraceS * 1000 })),
    terminate: (_process, graceMs) => (child === undefined ? Promise.resolve() : terminateProcessGroup(child, graceMs)),
  };
}
