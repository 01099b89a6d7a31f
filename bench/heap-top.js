// Where a run's allocation went, from a sampled .heapprofile (bench/lib/allocation.js writes one
// per in-process bench with BENCH_HEAP_PROFILE=FILE; `node --heap-prof` ones work too, though they
// keep only what was still alive at the end):
//   node bench/heap-top.js FILE [N]               top N functions by bytes they allocated themselves
//   node bench/heap-top.js FILE [N] --inclusive   top N functions by bytes allocated under them
//   node bench/heap-top.js FILE --packages        bytes by package (xstate, sdk, node, hangar…)
// What a built-in (Set, Map, push, Object.assign…) allocates is charged to the JavaScript
// function that called it.
// Bytes are per call when the profile records its call count, else per run.
import process from "node:process";
import { framePackage, frameLabel, readProfileArgs } from "./lib/profile-frames.js";

const { profile, limit, flags } = readProfileArgs("node bench/heap-top.js FILE.heapprofile [N] [--inclusive | --packages]");
const calls = profile.calls ?? 1;

const totals = new Map();
const add = (key, bytes) => totals.set(key, (totals.get(key) ?? 0) + bytes);
let total = 0;
function walk(node, stack) {
  const builtin = !node.callFrame.url && !node.callFrame.functionName.startsWith("(") && stack.length > 0;
  const key = builtin ? stack.at(-1) : flags.has("--packages") ? framePackage(node.callFrame) : frameLabel(node.callFrame);
  const here = [...stack, key];
  const bytes = node.selfSize;
  total += bytes;
  if (flags.has("--inclusive")) for (const name of new Set(here)) add(name, bytes);
  else add(key, bytes);
  for (const child of node.children ?? []) walk(child, here);
}
walk(profile.head, []);

const unit = calls === 1 ? "bytes" : "bytes per call";
process.stdout.write(`${(total / calls).toFixed(0)} ${unit} sampled in all\n`);
const rows = [...totals].sort((a, b) => b[1] - a[1]);
for (const [name, bytes] of flags.has("--packages") ? rows : rows.slice(0, limit)) {
  process.stdout.write(`${(bytes / calls).toFixed(0).padStart(8)}  ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${name}\n`);
}
