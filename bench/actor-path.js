// CPU per call of the in-process actor path, without I/O: HangarRuntime.invoke → supervisor →
// provider → connection (a fake that answers at once) → reply and CALL.DONE, with the log and
// metrics observers attached as in src/cli/main.ts. The stdio bench's CPU per call minus this is what
// pipes, the SDK and parsing cost.
// `npm run build && node bench/actor-path.js [calls]` (default 50000; BENCH_HANGAR_JS for another build).
import process from "node:process";
import { MAIN_JS } from "./lib/clients.js";
import { cpuPerCall, startInstantRuntime } from "./lib/instant-runtime.js";

const CALLS = Number(process.argv[2] ?? 50_000);
const ROUNDS = 5;
const { runtime } = await startInstantRuntime();

const run = async (count) => {
  for (let i = 0; i < count; i++) await runtime.invoke("p", "echo", { text: "x" });
};
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
process.stdout.write(`${MAIN_JS}: actor path ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS})\n`);
await runtime.shutdown();
process.exit(0);
