import { readFileSync, readdirSync, readlinkSync } from "node:fs";

/**
 * Vitest global setup: after the whole suite, no process started by a test may still run.
 * Tests kill what they start (providers, hangars, remote servers); one that forgets leaves a
 * process re-parented to init, which this finds by what every test process inherits — the
 * suite's working directory and vitest's environment — and by its start after the suite began.
 * Leftovers are killed and reported, and the run fails.
 */

interface ProcessInfo {
  pid: number;
  ppid: number;
  startTicks: number;
  /** Z: exited, waiting for its parent to reap it — not running. */
  zombie: boolean;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), startTicks: Number(fields[19]), zombie: fields[0] === "Z" };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((info): info is ProcessInfo => info !== undefined);
}

function startedByThisSuite(pid: number, root: string): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/cwd`) !== root) return false;
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes("VITEST=true");
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "?";
  }
}

function leftoversOf(suiteStart: number, root: string): ProcessInfo[] {
  const processes = allProcesses();
  // The vitest process, the processes it runs under and its own children (the test workers,
  // esbuild) are not leftovers; what a test spawned is a worker's child, or init's once the
  // worker has gone — the workers are still alive when this teardown runs.
  const ours = new Set<number>([process.pid]);
  for (const info of processes) if (info.ppid === process.pid) ours.add(info.pid);
  for (let parent = process.ppid; parent > 1; parent = readProcess(parent)?.ppid ?? 1) ours.add(parent);
  return processes.filter((info) => !info.zombie && !ours.has(info.pid) && info.startTicks >= suiteStart && startedByThisSuite(info.pid, root));
}

export default function setup(): (() => Promise<void>) | undefined {
  if (process.platform !== "linux") return undefined;
  const suiteStart = readProcess(process.pid)?.startTicks ?? 0;
  const root = process.cwd();
  return async () => {
    // A process killed by a test's last hook may still be on its way out: give it a moment.
    let leftovers = leftoversOf(suiteStart, root);
    for (let waitedMs = 0; leftovers.length > 0 && waitedMs < 2_000; waitedMs += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leftovers = leftoversOf(suiteStart, root);
    }
    if (leftovers.length === 0) return;
    const described = leftovers.map((info) => `  pid ${info.pid}: ${commandLine(info.pid)}`);
    for (const info of leftovers) {
      try {
        process.kill(info.pid, "SIGKILL");
      } catch {
        // Gone meanwhile.
      }
    }
    // Vitest reports an error thrown here but still exits 0, so the exit code is set as well.
    process.exitCode = 1;
    throw new Error(`${leftovers.length} process(es) started by the tests outlived the suite (killed now):\n${described.join("\n")}`);
  };
}
