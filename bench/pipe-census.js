// What one read costs and how many calls share it, over real pipes: the SDK client (`callers`
// loops calling at once) -> the built hangar (dist/main.js, preloaded with
// bench/lib/census-probe.js) -> the echo fixture. Per call: reads and the lines each held on the
// client leg and on the provider leg (each read of calls is one INVOKE / INVOKE.BATCH step of the
// provider chart, each read of answers one CALL.DONE / CALLS.DONE), writes on each leg, the
// hangar's CPU by thread and its wake-ups (voluntary context switches), its scavenges, and with
// `perf` on the PATH the system calls by thread (epoll_pwait, read, write, writev, futex);
// the provider's and the client's CPU too. The reads' lines per 200 ms show which regime the
// run was in (see BENCHMARKS.md, "16 callers").
// `npm run build && node bench/pipe-census.js [calls] [callers]` (default 16000, 16);
// BENCH_HANGAR_JS for another build; BENCH_CONFIG_EXTRA='{"audit":{"enabled":false}}' as in run.js.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { MAIN_JS } from "./lib/clients.js";
import { concurrent } from "./lib/load.js";
import { startProbedHangar } from "./lib/probed-hangar.js";
import { descendants, threadTimes } from "./lib/procs.js";

const CALLS = Number(process.argv[2] ?? 16_000);
const CALLERS = Number(process.argv[3] ?? 16);
const SYSCALLS = ["epoll_pwait", "read", "write", "writev", "futex"];

/** `perf stat` on every thread of `pid`, counting SYSCALLS; undefined without perf. */
function startPerf(pid, dir) {
  const out = join(dir, `perf-${pid}.csv`);
  const events = SYSCALLS.map((name) => `syscalls:sys_enter_${name}`).join(",");
  const perf = spawn("perf", ["stat", "--per-thread", "-x", ",", "-o", out, "-e", events, "-p", String(pid)], { stdio: "ignore" });
  const exited = new Promise((resolve) => {
    perf.on("error", () => resolve(false));
    perf.on("exit", () => resolve(true));
  });
  return {
    async stop() {
      perf.kill("SIGINT");
      if (!(await exited) || !existsSync(out)) return undefined;
      const byThread = new Map();
      for (const line of readFileSync(out, "utf8").split("\n")) {
        const [thread, count, , event] = line.split(",");
        const tid = /-(\d+)$/.exec(thread ?? "")?.[1];
        if (tid === undefined || event === undefined || !Number.isFinite(Number(count))) continue;
        const counts = byThread.get(Number(tid)) ?? {};
        counts[event.replace("syscalls:sys_enter_", "")] = Number(count);
        byThread.set(Number(tid), counts);
      }
      return byThread;
    },
  };
}

const perCall = (count) => (count / CALLS).toFixed(3);
const usPerCall = (ns) => (ns / 1000 / CALLS).toFixed(1);
const threadDelta = (before, after) => [...after].map(([tid, now]) => {
  const then = before.get(tid) ?? { cpuNs: 0, voluntary: 0, involuntary: 0 };
  return { tid, cpuNs: now.cpuNs - then.cpuNs, voluntary: now.voluntary - then.voluntary, involuntary: now.involuntary - then.involuntary };
});

function legLine(name, leg) {
  const buckets = leg.linesPerRead.map((reads, lines) => (reads === 0 ? "" : `${lines === leg.linesPerRead.length - 1 ? `${lines}+` : lines}:${reads}`)).filter(Boolean);
  return (
    `${name}: ${perCall(leg.reads)} reads per call, ${(leg.lines / Math.max(leg.reads, 1)).toFixed(2)} lines per read ` +
    `(so ${perCall(leg.reads)} chart steps per call); writes per call ${perCall(leg.writes)} + writev ${perCall(leg.writevs)}\n` +
    `  reads by lines held (lines:reads) ${buckets.join(" ")}\n`
  );
}

const hangar = await startProbedHangar("pipe-census", "census-probe.js");
try {
  await concurrent(hangar.call, 8_000, CALLERS); // JIT, the provider started, the audit writer's thread up
  const [provider] = descendants(hangar.pid);
  await hangar.startProbe();
  const perf = startPerf(hangar.pid, hangar.dir);
  await sleep(300); // perf attached
  const hangarBefore = threadTimes(hangar.pid);
  const providerBefore = threadTimes(provider);
  const run = await concurrent(hangar.call, CALLS, CALLERS);
  const hangarThreads = threadDelta(hangarBefore, threadTimes(hangar.pid));
  const providerThreads = threadDelta(providerBefore, threadTimes(provider));
  const stopped = hangar.stopProbe(); // signals at once; perf stops before the result is awaited
  const syscalls = await perf.stop();
  const counted = await stopped;

  let out = `${MAIN_JS}: ${CALLERS} caller(s), ${CALLS} calls, ${run.rate.toFixed(0)} calls/s, p50 ${run.p50.toFixed(3)} ms\n`;
  out += legLine("client leg", counted.client) + legLine("provider leg", counted.provider);
  out += `main thread: a scavenge every ${(CALLS / Math.max(counted.scavenges, 1)).toFixed(1)} calls\n`;
  const busy = hangarThreads.filter((thread) => thread.cpuNs / CALLS > 200).sort((a, b) => b.cpuNs - a.cpuNs);
  for (const thread of busy) {
    const role = thread.tid === hangar.pid ? "main" : thread === busy.find((t) => t.tid !== hangar.pid) ? "busiest other (audit writer)" : "other (V8 platform…)";
    const calls = syscalls?.get(thread.tid);
    const counts = calls === undefined ? "" : `; ${SYSCALLS.map((name) => `${name} ${perCall(calls[name] ?? 0)}`).join(", ")}`;
    out += `  hangar thread ${thread.tid} (${role}): ${usPerCall(thread.cpuNs)} µs per call, wake-ups ${perCall(thread.voluntary)}, preemptions ${perCall(thread.involuntary)}${counts}\n`;
  }
  const sum = (threads) => threads.reduce((total, thread) => total + thread.cpuNs, 0);
  out += `  hangar, all threads: ${usPerCall(sum(hangarThreads))} µs per call; provider ${usPerCall(sum(providerThreads))}; client (this process) ${run.clientCpuUs.toFixed(1)}\n`;
  const timeline = counted.timeline.map((slot) => (slot === null ? "-" : `${slot[1]}:${(slot[1] / Math.max(slot[0], 1)).toFixed(1)}/${(slot[3] / Math.max(slot[2], 1)).toFixed(1)}`));
  out += `per 200 ms (calls:client lines per read/provider lines per read): ${timeline.join(" ")}\n`;
  process.stdout.write(out);
} finally {
  await hangar.close();
}
process.exit(0);
