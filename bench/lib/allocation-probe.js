// Preloaded into a hangar by bench/pipe-allocation.js (node --import …/allocation-probe.js?dir=DIR):
// the first SIGUSR2 starts counting the main thread's garbage collections (gc performance entries:
// scavenges, pauses) and the bytes it allocates (v8.GCProfiler: the heap's growth plus what every
// collection freed; `&bytes=0` leaves it off, its statistics make each collection slower; `&sample=1`
// adds V8's sampling heap profiler, collected objects included); the next SIGUSR2 stops and writes
// DIR/<pid>.json (and DIR/<pid>.heapprofile).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";
import { constants, PerformanceObserver } from "node:perf_hooks";
import process from "node:process";
import { URL } from "node:url";
import v8 from "node:v8";
import { measureBetweenSignals } from "./probe-signal.js";

const query = new URL(import.meta.url).searchParams;
const dir = query.get("dir");
const sample = query.get("sample") === "1";
const countBytes = query.get("bytes") !== "0";
let measuring;

function start() {
  const gc = { scavenges: 0, collections: 0, ms: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.collections++;
      gc.ms += entry.duration;
      if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
    }
  });
  observer.observe({ entryTypes: ["gc"] });
  const profiler = countBytes ? new v8.GCProfiler() : undefined;
  profiler?.start();
  let session;
  if (sample) {
    session = new Session();
    session.connect();
    session.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  measuring = { gc, observer, profiler, session, used: v8.getHeapStatistics().used_heap_size };
}

function stop() {
  const { gc, observer, profiler, session, used } = measuring;
  measuring = undefined;
  const usedNow = v8.getHeapStatistics().used_heap_size;
  let allocated;
  // What the scavenges kept: copied within the young generation (new space after each) and promoted to the old one.
  let survived;
  let promoted;
  if (profiler !== undefined) {
    allocated = usedNow - used;
    survived = 0;
    promoted = 0;
    const spaceUsed = (statistics, name) => statistics.heapSpaceStatistics.find((space) => space.spaceName === name)?.spaceUsedSize ?? 0;
    for (const collection of profiler.stop().statistics) {
      allocated += collection.beforeGC.heapStatistics.usedHeapSize - collection.afterGC.heapStatistics.usedHeapSize;
      if (collection.gcType !== "Scavenge") continue;
      survived += spaceUsed(collection.afterGC, "new_space");
      promoted += Math.max(0, spaceUsed(collection.afterGC, "old_space") - spaceUsed(collection.beforeGC, "old_space"));
    }
  }
  for (const entry of observer.takeRecords()) {
    gc.collections++;
    gc.ms += entry.duration;
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.scavenges++;
  }
  observer.disconnect();
  const file = join(dir, `${process.pid}`);
  if (session !== undefined) {
    session.post("HeapProfiler.stopSampling", (error, result) => {
      if (error === null) writeFileSync(`${file}.heapprofile`, JSON.stringify(result.profile));
    });
    session.disconnect();
  }
  return { allocated, survived, promoted, ...gc };
}

if (dir !== null) measureBetweenSignals(dir, start, stop);
