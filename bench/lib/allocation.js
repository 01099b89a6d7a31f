// Bytes the main thread allocates per call, for the in-process benches: exactly (the heap's
// growth plus what every garbage collection in between freed, from v8.GCProfiler), and by
// function (V8's sampling heap profiler, collected objects included) when BENCH_HEAP_PROFILE
// names a file to write the profile to (read it with `node bench/heap-top.js FILE`).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import process from "node:process";
import v8 from "node:v8";
import { median } from "./stats.js";

/** Bytes allocated on this thread's V8 heap while `run()` ran. */
export async function allocatedDuring(run) {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = v8.getHeapStatistics().used_heap_size;
  await run();
  const after = v8.getHeapStatistics().used_heap_size;
  let freed = 0;
  for (const gc of profiler.stop().statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return after - before + freed;
}

/** Bytes allocated per call of `run(calls)`: the median of `rounds` (after a warm-up run). */
export async function bytesPerCall(run, calls, rounds = 5) {
  await run(calls);
  const perCall = [];
  for (let round = 0; round < rounds; round++) perCall.push((await allocatedDuring(() => run(calls))) / calls);
  return median(perCall);
}

/**
 * With BENCH_HEAP_PROFILE=FILE: one sampled run of `run(calls)` written to FILE as a
 * .heapprofile whose self sizes count every allocation (collected or not), plus the call count
 * so heap-top.js can divide by it. Without it, nothing.
 */
export async function heapProfile(run, calls) {
  const file = process.env.BENCH_HEAP_PROFILE;
  if (!file) return;
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: Number(process.env.BENCH_HEAP_INTERVAL ?? 256),
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await run(calls);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  session.disconnect();
  writeFileSync(file, JSON.stringify({ ...profile, calls }));
  process.stdout.write(`heap profile of ${calls} calls: ${file}\n`);
}
