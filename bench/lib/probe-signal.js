// The probes' side of bench/lib/probed-hangar.js: the first SIGUSR2 starts a measurement, the next
// stops it and writes what it returns to DIR/<pid>.json (through a rename, so the bench never reads
// half a file).
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

/** `start()` on one SIGUSR2, `stop()` on the next (its value written as DIR/<pid>.json), and so on. */
export function measureBetweenSignals(dir, start, stop) {
  let measuring = false;
  process.on("SIGUSR2", () => {
    measuring = !measuring;
    if (measuring) {
      start();
      return;
    }
    const file = join(dir, `${process.pid}`);
    writeFileSync(`${file}.tmp`, JSON.stringify(stop()));
    renameSync(`${file}.tmp`, `${file}.json`);
  });
}
