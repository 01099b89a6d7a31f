// What this machine charges a stdio gateway for its hop and for the CPU it spends around a write,
// independent of the hangar: sequential `echo` calls to the fixture, direct, through the byte
// relay, and through bench/lib/busy-relay.js spending BUSY µs of busy work before or after each
// of its two writes per call. Work before a write delays the message; work after it runs while
// the next process works, if the machine can run both at once — on some VMs waking a process
// on another vCPU costs more than the work itself (see BENCHMARKS.md, "What a hop costs here").
// Interleaved rounds, medians; the same SDK client and load loop as `npm run bench`.
// `node --expose-gc bench/wake-cost.js [calls] [rounds]` (defaults 3000 and 5).
import process from "node:process";
import { join } from "node:path";
import { callTool, closeAll, connectDirect, PROVIDERS, REPO_ROOT } from "./lib/clients.js";
import { sequential } from "./lib/load.js";
import { median } from "./lib/stats.js";

const CALLS = Number(process.argv[2] ?? 3_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const BUSY_US = [5, 20, 60];
const BUSY_RELAY_JS = join(REPO_ROOT, "bench", "lib", "busy-relay.js");
const fixture = PROVIDERS.fixture;
const providerArgv = fixture.argv("wake-cost");

function busyRelay(us, when) {
  return [process.execPath, BUSY_RELAY_JS, String(us), when, ...providerArgv];
}

/** A variant: how to reach the fixture. */
const variants = [
  { name: "direct", argv: providerArgv },
  { name: "byte relay", argv: busyRelay(0, "after") },
  ...["before", "after"].flatMap((when) => BUSY_US.map((us) => ({ name: `relay, ${us} µs busy ${when} each write`, argv: busyRelay(us, when) }))),
];

const perCall = new Map(variants.map((variant) => [variant.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round, so no variant always runs first (or right after another).
  const order = variants.map((_, index) => variants[(index + round) % variants.length]);
  for (const variant of order) {
    const handle = await connectDirect(variant.argv);
    const call = () => callTool(handle.client, fixture.tool, fixture.args);
    await sequential(call, Math.min(CALLS, 1_000)); // warm-up: JIT of every process on the path
    const { rate } = await sequential(call, CALLS);
    perCall.get(variant.name).push(1e6 / rate);
    await handle.close();
  }
}
await closeAll();

const direct = median(perCall.get("direct"));
const relay = median(perCall.get("byte relay"));
const lines = ["| path | µs per sequential call | added over the byte relay | calls/s ÷ direct |", "|---|---:|---:|---:|"];
for (const variant of variants) {
  const us = median(perCall.get(variant.name));
  const added = variant.name === "direct" ? "—" : `${(us - relay).toFixed(0)} µs`;
  lines.push(`| ${variant.name} | ${us.toFixed(0)} | ${added} | ${(direct / us).toFixed(2)}× |`);
}
process.stdout.write(`${lines.join("\n")}\n(${ROUNDS} rounds × ${CALLS} calls, medians; 2 writes per call through a relay)\n`);
