// Bytes the hangar's main thread allocates per call over real pipes, with its garbage
// collections and CPU: the SDK client -> the built hangar (dist/main.js, preloaded with
// bench/lib/allocation-probe.js) -> the echo fixture, `callers` loops calling at once.
// `npm run build && node bench/pipe-allocation.js [calls] [callers]` (default 20000, 16); BENCH_GC_ONLY=1
// for GC pauses as they are (counting bytes makes each collection slower);
// BENCH_HEAP_PROFILE=FILE also writes the main thread's sampled allocation by function (read it with
// `node bench/heap-top.js FILE`); BENCH_CONFIG_EXTRA='{"audit":{"enabled":false}}' as in run.js;
// BENCH_HANGAR_JS for another build.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { MAIN_JS } from "./lib/clients.js";
import { concurrent } from "./lib/load.js";
import { startProbedHangar } from "./lib/probed-hangar.js";
import { mainThreadCpuMs } from "./lib/procs.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const CALLERS = Number(process.argv[3] ?? 16);
const heapProfile = process.env.BENCH_HEAP_PROFILE;
/** BENCH_GC_ONLY=1: GC counts and pauses without counting bytes (GCProfiler slows each collection). */
const gcOnly = process.env.BENCH_GC_ONLY === "1";
const hangar = await startProbedHangar("pipe-allocation", "allocation-probe.js", {
  ...(heapProfile ? { sample: "1" } : {}),
  ...(gcOnly ? { bytes: "0" } : {}),
});
try {
  await concurrent(hangar.call, Math.min(CALLS, 4_000), CALLERS); // JIT, the provider started, the audit writer's thread up
  await hangar.startProbe();
  const cpuBefore = mainThreadCpuMs(hangar.pid);
  await concurrent(hangar.call, CALLS, CALLERS);
  const cpuUs = ((mainThreadCpuMs(hangar.pid) - cpuBefore) * 1000) / CALLS;
  const { allocated, survived, promoted, scavenges, collections, ms } = await hangar.stopProbe();
  const bytes =
    allocated === undefined
      ? ""
      : `${(allocated / CALLS / 1024).toFixed(1)} KB allocated per call (scavenges kept ${(survived / CALLS).toFixed(0)} B per call in the young generation, promoted ${(promoted / CALLS).toFixed(0)} B), `;
  process.stdout.write(
    `${MAIN_JS}: ${CALLERS} caller(s), ${CALLS} calls: main thread ${bytes}a scavenge every ${(CALLS / Math.max(scavenges, 1)).toFixed(1)} calls ` +
      `(${collections} GCs), ${((ms * 1000) / CALLS).toFixed(2)} µs of GC pauses per call (wall time${gcOnly ? "" : ", slowed by the byte count"}), ` +
      `main thread CPU ${cpuUs.toFixed(1)} µs per call (±10 ms ticks)\n`,
  );
  if (heapProfile) {
    const sampled = join(hangar.dir, `${hangar.pid}.heapprofile`);
    while (!existsSync(sampled)) await sleep(20);
    const profile = JSON.parse(readFileSync(sampled, "utf8"));
    writeFileSync(`${heapProfile}.tmp`, JSON.stringify({ ...profile, calls: CALLS }));
    renameSync(`${heapProfile}.tmp`, heapProfile);
    process.stdout.write(`heap profile: ${heapProfile}\n`);
  }
} finally {
  await hangar.close();
}
process.exit(0);
