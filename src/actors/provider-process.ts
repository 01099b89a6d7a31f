import type { Readable, Writable } from "node:stream";
import type { ProviderSpec } from "../config/types.js";

/**
 * What a stdio MCP session needs of the thing that runs a provider: a child process, or a
 * container attached through the engine API. Events as a ChildProcess emits them: 'error' (with
 * `pid` still undefined: it never started), 'exit' (code, signal) and 'close' once the streams
 * have delivered their last bytes.
 */
export interface ProviderProcess {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  on(event: "error", listener: (error: Error) => void): unknown;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: "close", listener: () => void): unknown;
}

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

/** For a spec of another mode: every launch fails with a message naming the mismatch. */
export function refusingLauncher(spec: ProviderSpec, connection: string): ProcessLauncher {
  return {
    description: `provider "${spec.id}"`,
    launch: () => {
      throw new Error(`mode "${spec.mode}" is not run by the ${connection} connection`);
    },
    terminate: () => Promise.resolve(),
  };
}
