// Preloaded into a hangar by bench/pipe-census.js (node --import …/census-probe.js?dir=DIR): the
// first SIGUSR2 starts counting, the next writes DIR/<pid>.json. What it counts, by leg — the
// client's (the hangar's stdin / stdout) and the providers' (every other pipe): reads (chunks
// pushed into a pipe's stream) and the lines they held, as a histogram and per 200 ms; write and
// writev calls (each one system call); the main thread's scavenges. It wraps net.Socket's push and
// _writeGeneric (what every pipe read and write goes through), so it sees the hangar's own I/O
// without changing it.
import net from "node:net";
import { constants, PerformanceObserver, performance } from "node:perf_hooks";
import process from "node:process";
import { URL } from "node:url";
import { measureBetweenSignals } from "./probe-signal.js";

const dir = new URL(import.meta.url).searchParams.get("dir");
/** Reads holding more lines than this share the last bucket of the histogram. */
const MAX_BUCKET = 20;
const TIMELINE_MS = 200;
let counting;

function newLeg() {
  return { reads: 0, lines: 0, writes: 0, writevs: 0, linesPerRead: new Array(MAX_BUCKET + 1).fill(0) };
}

function linesIn(chunk) {
  let lines = 0;
  for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
  return lines;
}

const push = net.Socket.prototype.push;
net.Socket.prototype.push = function countedPush(chunk, encoding) {
  if (counting !== undefined && chunk !== null && chunk !== undefined) {
    const client = this === process.stdin;
    const leg = client ? counting.client : counting.provider;
    const lines = linesIn(chunk);
    leg.reads++;
    leg.lines += lines;
    leg.linesPerRead[Math.min(lines, MAX_BUCKET)]++;
    const slot = (counting.timeline[Math.floor((performance.now() - counting.startedAt) / TIMELINE_MS)] ??= [0, 0, 0, 0]);
    slot[client ? 0 : 2]++;
    slot[client ? 1 : 3] += lines;
  }
  return push.call(this, chunk, encoding);
};

const writeGeneric = net.Socket.prototype._writeGeneric;
net.Socket.prototype._writeGeneric = function countedWrite(writev, data, encoding, callback) {
  if (counting !== undefined) {
    const leg = this === process.stdout ? counting.client : counting.provider;
    if (writev) leg.writevs++;
    else leg.writes++;
  }
  return writeGeneric.call(this, writev, data, encoding, callback);
};

new PerformanceObserver((list) => {
  if (counting === undefined) return;
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) counting.scavenges++;
}).observe({ entryTypes: ["gc"] });

if (dir !== null) {
  measureBetweenSignals(
    dir,
    () => {
      counting = { startedAt: performance.now(), client: newLeg(), provider: newLeg(), scavenges: 0, timeline: [] };
    },
    () => {
      const counted = counting;
      counting = undefined;
      return counted;
    },
  );
}
