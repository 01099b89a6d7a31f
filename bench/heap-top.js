// Where a run's allocation went, from a sampled .heapprofile (bench/lib/allocation.js writes one
// per in-process bench with BENCH_HEAP_PROFILE=FILE; `node --heap-prof` ones work too, though they
// keep only what was still alive at the end):
//   node bench/heap-top.js FILE [N]               top N functions by bytes they allocated themselves
//   node bench/heap-top.js FILE [N] --inclusive   top N functions by bytes allocated under them
//   node bench/heap-top.js FILE --packages        bytes by package (xstate, sdk, node, hangar…)
// What a built-in (Set, Map, push, Object.assign…) allocates is charged to the JavaScript
// function that called it.
// Bytes are per call when the profile records its call count, else per run.
import { readFileSync } from "node:fs";
import process from "node:process";

process.stdout.on("error", () => process.exit(0)); // piped into head
const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith("--")));
const [file, limit = "25"] = args.filter((arg) => !arg.startsWith("--"));
if (!file) {
  process.stderr.write("usage: node bench/heap-top.js FILE.heapprofile [N] [--inclusive | --packages]\n");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const calls = profile.calls ?? 1;

function label(frame) {
  const { functionName, url, lineNumber } = frame;
  const where = url ? `${url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
}

function packageOf(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith("(") ? functionName : "native";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  return "hangar (dist/)";
}

const totals = new Map();
const add = (key, bytes) => totals.set(key, (totals.get(key) ?? 0) + bytes);
let total = 0;
function walk(node, stack) {
  const builtin = !node.callFrame.url && !node.callFrame.functionName.startsWith("(") && stack.length > 0;
  const key = builtin ? stack.at(-1) : flags.has("--packages") ? packageOf(node.callFrame) : label(node.callFrame);
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
for (const [name, bytes] of flags.has("--packages") ? rows : rows.slice(0, Number(limit))) {
  process.stdout.write(`${(bytes / calls).toFixed(0).padStart(8)}  ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${name}\n`);
}
