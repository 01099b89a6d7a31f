// Preloaded into bench hangars only (node --expose-gc --import bench/lib/hangar-probe.js …):
// on SIGUSR2 the process runs a full GC and writes process.memoryUsage() to
// $BENCH_PROBE_DIR/<pid>.json, so the bench can tell retained memory from garbage not yet collected.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const dir = process.env.BENCH_PROBE_DIR;
if (dir !== undefined) {
  process.on("SIGUSR2", () => {
    globalThis.gc?.();
    const file = join(dir, `${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
    renameSync(`${file}.tmp`, file);
  });
}
