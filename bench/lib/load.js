// Load generators: a timed loop of sequential calls, and N concurrent callers sharing a budget.
import { performance } from "node:perf_hooks";
import process from "node:process";
import { cpuMs, mainThreadCpuMs } from "./procs.js";
import { summarize } from "./stats.js";

/** Empties the bench process's young garbage before a timed run (node --expose-gc). */
export function settleGc() {
  globalThis.gc?.();
}

/** CPU time (user + system) this process, the bench and its clients, has used so far, in µs. */
function clientCpuUs() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * `count` calls one after another; latency per call and calls/s over the whole run, and with
 * `pid` the CPU that process used per call (µs), all its threads and its main thread alone.
 * `clientCpuUs` is what the bench process (the clients) used per call.
 */
export async function sequential(call, count, pid) {
  settleGc();
  const cpuBefore = pid === undefined ? Number.NaN : cpuMs(pid);
  const mainBefore = pid === undefined ? Number.NaN : mainThreadCpuMs(pid);
  const clientBefore = clientCpuUs();
  const latencies = new Float64Array(count);
  let errors = 0;
  /** What the first failed call threw: kept in the details of results/latest.json. */
  let firstError;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    try {
      const result = await call();
      if (result.isError === true) errors++;
    } catch (error) {
      errors++;
      firstError ??= String(error);
    }
    latencies[i] = performance.now() - t0;
  }
  const elapsed = performance.now() - started;
  const cpuUs = pid === undefined ? Number.NaN : ((cpuMs(pid) - cpuBefore) * 1000) / count;
  const mainCpuUs = pid === undefined ? Number.NaN : ((mainThreadCpuMs(pid) - mainBefore) * 1000) / count;
  const clientUs = (clientCpuUs() - clientBefore) / count;
  return { ...summarize(latencies), rate: (count / elapsed) * 1000, errors, firstError, cpuUs, mainCpuUs, clientCpuUs: clientUs };
}

/**
 * `workers` callers, each issuing its next call as soon as the last one answered, `total` calls
 * in all. Each passes its index to `call` (callers that hold a session each use it).
 */
export async function concurrent(call, total, workers, pid) {
  settleGc();
  const cpuBefore = pid === undefined ? Number.NaN : cpuMs(pid);
  const mainBefore = pid === undefined ? Number.NaN : mainThreadCpuMs(pid);
  const clientBefore = clientCpuUs();
  const latencies = new Float64Array(total);
  let next = 0;
  let errors = 0;
  /** What the first failed call threw: kept in the details of results/latest.json. */
  let firstError;
  const worker = async (_, workerIndex) => {
    while (next < total) {
      const index = next++;
      const t0 = performance.now();
      try {
        const result = await call(workerIndex);
        if (result.isError === true) errors++;
      } catch (error) {
        errors++;
        firstError ??= String(error);
      }
      latencies[index] = performance.now() - t0;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const elapsed = performance.now() - started;
  const cpuUs = pid === undefined ? Number.NaN : ((cpuMs(pid) - cpuBefore) * 1000) / total;
  const mainCpuUs = pid === undefined ? Number.NaN : ((mainThreadCpuMs(pid) - mainBefore) * 1000) / total;
  const clientUs = (clientCpuUs() - clientBefore) / total;
  return { ...summarize(latencies), rate: (total / elapsed) * 1000, errors, firstError, cpuUs, mainCpuUs, clientCpuUs: clientUs };
}
