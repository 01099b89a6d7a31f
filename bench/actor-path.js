// CPU per call of the in-process actor path, without I/O: HangarRuntime.invoke → supervisor →
// provider → connection (a fake that answers at once) → reply and CALL.DONE, with the log and
// metrics observers attached as in src/cli/main.ts. The stdio bench's CPU per call minus this is what
// pipes, the SDK and parsing cost.
// With callers > 1 that many loops call at once, and the fake answers each tick's calls together
// (as one pipe read would), so the answered calls of a tick reach the provider actor as one event.
// Also the bytes the main thread allocates per call (BENCH_HEAP_PROFILE=FILE: and by function, see heap-top.js).
// `npm run build && node bench/actor-path.js [calls] [callers] [target]` (default 50000, 1, p;
// target `g`: a round-robin group of two such providers; BENCH_HANGAR_JS for another build).
import process from "node:process";
import { MAIN_JS } from "./lib/clients.js";
import { bytesPerCall, heapProfile } from "./lib/allocation.js";
import { concurrently, cpuPerCall, startInstantRuntime } from "./lib/instant-runtime.js";

const CALLS = Number(process.argv[2] ?? 50_000);
const CALLERS = Number(process.argv[3] ?? 1);
const TARGET = process.argv[4] ?? "p";
const ROUNDS = 5;
const { runtime } = await startInstantRuntime([], { group: TARGET === "g" });

const run = concurrently(() => runtime.invoke(TARGET, "echo", { text: "x" }), CALLERS);
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
const callers = `${CALLERS === 1 ? "" : `, ${CALLERS} callers`}${TARGET === "p" ? "" : `, target ${TARGET}`}`;
process.stdout.write(`${MAIN_JS}: actor path ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS}${callers})\n`);
const bytes = await bytesPerCall(run, CALLS, ROUNDS);
process.stdout.write(`${MAIN_JS}: actor path ${(bytes / 1024).toFixed(1)} KB allocated per call (median of ${ROUNDS} × ${CALLS}${callers})\n`);
await heapProfile(run, CALLS);
await runtime.shutdown();
process.exit(0);
