import type { ChildProcessWithoutNullStreams } from "node:child_process";
import type { ProviderSpec } from "../config/types.js";

/**
 * What a stdio MCP session needs of the thing that runs a provider: a child process, or a
 * container attached through the engine API. Events as a ChildProcess emits them: 'error' (with
 * `pid` still undefined: it never started), 'exit' (code, signal) and 'close' once the streams
 * have delivered their last bytes.
 */
export type ProviderProcess = Pick<ChildProcessWithoutNullStreams, "pid" | "stdin" | "stdout" | "stderr" | "on" | "once">;

/** Starts and ends one kind of provider process; the session does the MCP part. */
export interface ProcessLauncher {
  /** How messages name what runs: the command and its folder, or the image. */
  readonly description: string;
  /** Starts the provider. May throw (a start failure); later failures arrive as 'error'. */
  launch(): ProviderProcess;
  /** Ends what launch() started within `graceMs` (then forcibly); never rejects, and shutdown can await it. */
  terminate(process: ProviderProcess, graceMs: number): Promise<void>;
}

/** Chooses the launcher for a provider spec (per mode). */
export type LauncherFor = (spec: ProviderSpec) => ProcessLauncher;
