// Where a hangar's CPU went, from a V8 .cpuprofile (written by BENCH_PROFILE=1 runs):
//   node bench/profile-top.js FILE [N]               top N functions by self time
//   node bench/profile-top.js FILE [N] --inclusive   top N functions by total time (self + callees)
//   node bench/profile-top.js FILE --packages        self time by package (xstate, zod, sdk, node, hangar…)
import process from "node:process";
import { framePackage, frameLabel, readProfileArgs } from "./lib/profile-frames.js";

const { file, profile, limit, flags } = readProfileArgs("node bench/profile-top.js FILE.cpuprofile [N] [--inclusive | --packages]");
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

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
  if (flags.has("--packages")) add(framePackage(node.callFrame, "native (write, read, …)"), us);
  else if (!flags.has("--inclusive")) add(frameLabel(node.callFrame), us);
  else {
    // Every function on the sample's stack, once per stack (recursion counted once).
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = frameLabel(byId.get(at).callFrame);
      if (!seen.has(key)) add(key, us);
      seen.add(key);
    }
  }
}
const idle = selfUs.get(profile.nodes.find((node) => node.callFrame.functionName === "(idle)")?.id) ?? 0;
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(total - idle) / 1000 | 0} ms busy (${(((total - idle) / total) * 100).toFixed(0)} %); % of busy time\n`);
for (const [key, us] of [...totals].filter(([key]) => !key.startsWith("(idle)") && !key.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, limit)) {
  process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms ${((us / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${key}\n`);
}
