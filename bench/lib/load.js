// Load generators: a timed loop of sequential calls, and N concurrent callers sharing a budget.
import { performance } from "node:perf_hooks";
import { cpuMs, mainThreadCpuMs } from "./procs.js";
import { summarize } from "./stats.js";

/** Empties the bench process's young garbage before a timed run (node --expose-gc). */
export function settleGc() {
  globalThis.gc?.();
}

/**
 * `count` calls one after another; latency per call and calls/s over the whole run, and with
 * `pid` the CPU that process used per call (µs), all its threads and its main thread alone.
 */
export async function sequential(call, count, pid) {
  settleGc();
  const cpuBefore = pid === undefined ? Number.NaN : cpuMs(pid);
  const mainBefore = pid === undefined ? Number.NaN : mainThreadCpuMs(pid);
  const latencies = new Float64Array(count);
  let errors = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      const result = await call();
      if (result.isError === true) errors++;
    } catch {
      errors++;
    }
    latencies[i] = performance.now() - t0;
  }
  const elapsed = performance.now() - started;
  const cpuUs = pid === undefined ? Number.NaN : ((cpuMs(pid) - cpuBefore) * 1000) / count;
  const mainCpuUs = pid === undefined ? Number.NaN : ((mainThreadCpuMs(pid) - mainBefore) * 1000) / count;
  return { ...summarize(latencies), rate: (count / elapsed) * 1000, errors, cpuUs, mainCpuUs };
}

/** `workers` callers, each issuing its next call as soon as the last one answered, `total` calls in all. */
export async function concurrent(call, total, workers, pid) {
  settleGc();
  const cpuBefore = pid === undefined ? Number.NaN : cpuMs(pid);
  const mainBefore = pid === undefined ? Number.NaN : mainThreadCpuMs(pid);
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const t0 = performance.now();
      try {
        const result = await call();
        if (result.isError === true) errors++;
      } catch {
        errors++;
      }
      latencies[index] = performance.now() - t0;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsed = performance.now() - started;
  const cpuUs = pid === undefined ? Number.NaN : ((cpuMs(pid) - cpuBefore) * 1000) / total;
  const mainCpuUs = pid === undefined ? Number.NaN : ((mainThreadCpuMs(pid) - mainBefore) * 1000) / total;
  return { ...summarize(latencies), rate: (total / elapsed) * 1000, errors, cpuUs, mainCpuUs };
}
