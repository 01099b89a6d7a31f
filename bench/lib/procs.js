// The process table as the bench sees it (Linux /proc): RSS, open fds, children, tagged processes.
import { performance } from "node:perf_hooks";
import process from "node:process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { median } from "./stats.js";

function readText(path) {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone meanwhile
  }
}

/** { state, ppid } from /proc/<pid>/stat, or undefined once the process is gone. */
function statOf(pid) {
  const text = readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const [state, ppid] = text.slice(text.lastIndexOf(")") + 2).split(" ", 2);
  return { state, ppid: Number(ppid) };
}

function isLive(stat) {
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

function pids() {
  return readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
}

/**
 * CPU time (user + system) a process has used so far, in ms; NaN once it is gone. Read before
 * and after a timed run, it gives the CPU per call of the process in the middle — a figure the
 * machine's other load hardly changes, unlike latency and throughput.
 */
export function cpuMs(pid) {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** The same for the process's main thread alone (its JavaScript event loop; not the audit writer thread, not libuv's pool). */
export function mainThreadCpuMs(pid) {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuMs(path) {
  const text = readText(path);
  if (text === undefined) return Number.NaN;
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
}

/** VmRSS of one process in MB (children excluded), or NaN when it is gone. */
export function rssMb(pid) {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? "");
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Median of several RSS readings, so one reading during a GC does not decide. */
export async function sampleRssMb(pid, samples = 5, intervalMs = 100) {
  const values = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await sleep(intervalMs);
    values.push(rssMb(pid));
  }
  return median(values);
}

export function fdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

/**
 * Live (non-zombie) descendants of `root`, at any depth: a hangar's providers and theirs. The
 * hangar's guardian (src/actors/group-guardian.ts, a small shell started with the first provider
 * and kept until the hangar exits) is no provider and is left out.
 */
export function descendants(root) {
  const children = new Map();
  for (const pid of pids()) {
    const stat = statOf(pid);
    if (!isLive(stat) || isGuardian(pid)) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const found = [];
  const pending = [root];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop()) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/**
 * Live processes whose command line holds an argument equal to `exactArg`, or (with
 * `substring`) any argument or environment value containing it.
 */
export function findTagged(text, { substring = false } = {}) {
  const found = [];
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    const args = (readText(`/proc/${pid}/cmdline`) ?? "").split("\0");
    let hit = substring ? args.some((arg) => arg.includes(text)) : args.includes(text);
    if (!hit && substring) hit = (readText(`/proc/${pid}/environ`) ?? "").includes(text);
    if (hit && isLive(statOf(pid))) found.push(pid);
  }
  return found;
}

export function isRunning(pid) {
  return isLive(statOf(pid));
}

export function killAll(list, signal = "SIGKILL") {
  for (const pid of list) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Polls `probe` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(probe, timeoutMs, what, intervalMs = 20) {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Full GC in a hangar started with the probe (bench/lib/hangar-probe.js), then its memory:
 * { rss, heapUsed, external, … } in MB, plus VmRSS read from /proc right after.
 */
export async function probeMemory(pid, probeDir) {
  const file = join(probeDir, `${pid}.json`);
  const sentAt = Date.now();
  process.kill(pid, "SIGUSR2");
  let usage;
  await waitUntil(() => {
    usage = JSON.parse(readText(file) ?? "null");
    return usage !== null && usage.at >= sentAt;
  }, 5_000, `memory probe of ${pid}`);
  await sleep(100);
  const mb = (bytes) => bytes / 1024 / 1024;
  return { heapUsed: mb(usage.heapUsed), heapTotal: mb(usage.heapTotal), external: mb(usage.external), rss: rssMb(pid) };
}

/** probeMemory `count` times; the median of each figure (what a GC hands back to the OS varies). */
export async function settledMemory(pid, probeDir, count = 3) {
  const probes = [];
  for (let i = 0; i < count; i++) probes.push(await probeMemory(pid, probeDir));
  const middle = (key) => median(probes.map((probe) => probe[key]));
  return { rss: middle("rss"), heapUsed: middle("heapUsed"), heapTotal: middle("heapTotal"), external: middle("external") };
}

/**
 * Each thread of a process so far: CPU time in ns (schedstat, exact, not 10 ms ticks) and its
 * voluntary context switches (each a sleep in epoll_wait, futex… — a wake-up) and involuntary
 * ones (preemptions), by thread id. A thread gone meanwhile is left out.
 */
export function threadTimes(pid) {
  const threads = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    const schedstat = readText(`/proc/${pid}/task/${tid}/schedstat`);
    const status = readText(`/proc/${pid}/task/${tid}/status`);
    if (schedstat === undefined || status === undefined) continue;
    const switches = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
    threads.set(Number(tid), {
      cpuNs: Number(schedstat.split(" ")[0]),
      voluntary: switches("voluntary_ctxt_switches"),
      involuntary: switches("nonvoluntary_ctxt_switches"),
    });
  }
  return threads;
}

function isGuardian(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("mcp-hangar-guardian");
  } catch {
    return false;
  }
}
