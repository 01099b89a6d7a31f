import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FIXTURES, type RunningHangar } from "./cli.js";
import { waitFor } from "./wait.js";

/**
 * A running hangar's own V8 heap spaces, read through the heap-spaces preload
 * (test/fixtures/heap-spaces.js): start the hangar with NODE_OPTIONS `--import=${HEAP_SPACES}`
 * and HEAP_SPACES_FILE set; SIGUSR2 makes it write `v8.getHeapSpaceStatistics()` to that file.
 */
export const HEAP_SPACES = pathToFileURL(join(FIXTURES, "heap-spaces.js")).href;

export interface HeapSpace {
  space_name: string;
  space_size: number;
  space_used_size: number;
}

/** One heap space of the hangar, as its preload writes it to `file` on SIGUSR2. */
export async function heapSpace(hangar: RunningHangar, file: string, name: "new_space" | "old_space"): Promise<HeapSpace> {
  rmSync(file, { force: true });
  process.kill(hangar.pid, "SIGUSR2");
  await waitFor(() => existsSync(file), 5_000, "the heap statistics");
  const spaces = JSON.parse(readFileSync(file, "utf8")) as HeapSpace[];
  const space = spaces.find((candidate) => candidate.space_name === name);
  if (space === undefined) throw new Error(`no ${name} in the heap statistics`);
  return space;
}
