// Where a hangar's CPU went, from a V8 .cpuprofile (written by BENCH_PROFILE=1 runs):
//   node bench/profile-top.js FILE [N]               top N functions by self time
//   node bench/profile-top.js FILE [N] --inclusive   top N functions by total time (self + callees)
//   node bench/profile-top.js FILE --packages        self time by package (xstate, zod, sdk, node, hangar…)
import { readFileSync } from "node:fs";
import process from "node:process";

process.stdout.on("error", () => process.exit(0)); // piped into head
const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith("--")));
const [file, limit = "25"] = args.filter((arg) => !arg.startsWith("--"));
if (!file) {
  process.stderr.write("usage: node bench/profile-top.js FILE.cpuprofile [N] [--inclusive | --packages]\n");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

function label(node) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
}

function packageOf(node) {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith("(") ? functionName : "native (write, read, …)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  return "hangar (dist/)";
}

// samples[i] is charged the time until the next sample.
const selfUs = new Map();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const us = profile.timeDeltas[i + 1] ?? 0;
  selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + us);
  total += us;
}

const totals = new Map();
const add = (key, us) => totals.set(key, (totals.get(key) ?? 0) + us);
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (flags.has("--packages")) add(packageOf(node), us);
  else if (!flags.has("--inclusive")) add(label(node), us);
  else {
    // Every function on the sample's stack, once per stack (recursion counted once).
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at));
      if (!seen.has(key)) add(key, us);
      seen.add(key);
    }
  }
}
const idle = selfUs.get(profile.nodes.find((node) => node.callFrame.functionName === "(idle)")?.id) ?? 0;
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(total - idle) / 1000 | 0} ms busy (${(((total - idle) / total) * 100).toFixed(0)} %); % of busy time\n`);
for (const [key, us] of [...totals].filter(([key]) => !key.startsWith("(idle)") && !key.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, Number(limit))) {
  process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms ${((us / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${key}\n`);
}
