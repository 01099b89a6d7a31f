// Load generators: a timed loop of sequential calls, and N concurrent callers sharing a budget.
import { performance } from "node:perf_hooks";
import { summarize } from "./stats.js";

/** Empties the bench process's young garbage before a timed run (node --expose-gc). */
export function settleGc() {
  globalThis.gc?.();
}

/** `count` calls one after another; latency per call and calls/s over the whole run. */
export async function sequential(call, count) {
  settleGc();
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
  return { ...summarize(latencies), rate: (count / elapsed) * 1000, errors };
}

/** `workers` callers, each issuing its next call as soon as the last one answered, `total` calls in all. */
export async function concurrent(call, total, workers) {
  settleGc();
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
  return { ...summarize(latencies), rate: (total / elapsed) * 1000, errors };
}
