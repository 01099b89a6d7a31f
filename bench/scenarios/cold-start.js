// 4. Cold start: the first call to a COLD provider through an already initialized hangar, vs a
// client that spawns the provider, initializes and calls. A fresh provider id per round, so
// every hangar call is a true first start (no cached tools, no earlier process).
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg, textOf } from "../lib/clients.js";
import { findTagged, waitUntil } from "../lib/procs.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "cold-start";

export async function run(ctx) {
  // A node start-up varies by ±30 ms on this VM: 15 rounds narrow how far the medians swing between runs.
  const rounds = ctx.quick ? 1 : 15;
  const rows = [];
  const details = {};
  for (const kind of ctx.providerKinds("fixture")) {
    const provider = PROVIDERS[kind];
    const ids = Array.from({ length: rounds }, (_, i) => `cold${i}`);
    const tag = (id) => tagArg(ctx.marker, `cold-${kind}-${id}`);
    const providers = Object.fromEntries(
      ids.map((id) => [id, { ...providerEntry(kind, ctx.marker, `cold-${kind}-${id}`), tools: provider.tools }]),
    );
    const hangar = await ctx.hangar(`cold-${kind}`, providers);
    const runs = { direct: [], hangar: [] };
    try {
      const measure = {
        direct: async (round) => {
          const t0 = performance.now();
          const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `cold-direct-${kind}-${round}`)));
          const result = await callTool(direct.client, provider.tool, provider.args);
          const elapsed = performance.now() - t0;
          await direct.close();
          check(result, provider.expect, `direct ${kind}`);
          return elapsed;
        },
        hangar: async (round) => {
          const id = ids[round];
          const t0 = performance.now();
          const result = await callTool(hangar.client, `${id}__${provider.tool}`, provider.args);
          const elapsed = performance.now() - t0;
          check(result, provider.expect, `hangar ${kind}`);
          // Stop it so it costs no CPU in later rounds.
          await callTool(hangar.client, "registry_stop", { provider: id });
          await waitUntil(() => findTagged(tag(id)).length === 0, 10_000, `${id} to stop`);
          return elapsed;
        },
      };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ["direct", "hangar"] : ["hangar", "direct"];
        for (const variant of order) {
          await sleep(100); // let the previous process's exit settle
          runs[variant].push(await measure[variant](round));
        }
      }
    } finally {
      await hangar.close();
    }
    details[kind] = runs;
    const figures = compare(runs.direct, runs.hangar);
    rows.push(row(`4 cold start ${kind}`, `first call (spawn→initialize→call), ${rounds} rounds`, "ms", figures, "added ≤ 15 ms", figures.added <= 15));
  }
  return { rows, details };
}

function check(result, expected, what) {
  const text = textOf(result);
  if (result.isError === true || text !== expected) throw new Error(`${what}: expected "${expected}", got ${JSON.stringify(result)}`);
}
