// 5. Single flight: 100 concurrent first calls to a COLD provider must share one start.
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg, textOf } from "../lib/clients.js";
import { descendants, findTagged, waitUntil } from "../lib/procs.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "single-flight";

const CALLERS = 100;

export async function run(ctx) {
  const rounds = ctx.quick ? 1 : 5;
  const provider = PROVIDERS.fixture;
  const ids = Array.from({ length: rounds }, (_, i) => `sf${i}`);
  const tag = (id) => tagArg(ctx.marker, `sf-${id}`);
  const providers = Object.fromEntries(ids.map((id) => [id, { ...providerEntry("fixture", ctx.marker, `sf-${id}`), tools: provider.tools }]));
  const hangar = await ctx.hangar("single-flight", providers);
  const runs = { direct: [], hangar: [], spawns: [], pids: [], errors: [] };
  const hundredPids = (client, toolName) => Promise.all(Array.from({ length: CALLERS }, () => callTool(client, toolName, {})));
  try {
    for (let round = 0; round < rounds; round++) {
      const id = ids[round];
      await sleep(100);
      let t0 = performance.now();
      const results = await hundredPids(hangar.client, `${id}__pid`);
      runs.hangar.push(performance.now() - t0);
      // Every process the hangar started for this provider, from /proc (one per spawn: the
      // provider stays READY), and the hangar's own start count.
      runs.spawns.push(findTagged(tag(id)).length);
      runs.pids.push(new Set(results.map(textOf)).size);
      runs.errors.push(results.filter((result) => result.isError === true).length);
      const details = (await callTool(hangar.client, "registry_details", { provider: id })).structuredContent;
      if (details?.starts !== 1) runs.spawns[round] = Math.max(runs.spawns[round], details?.starts ?? Number.NaN);
      await callTool(hangar.client, "registry_stop", { provider: id });
      await waitUntil(() => findTagged(tag(id)).length === 0, 10_000, `${id} to stop`);

      await sleep(100);
      t0 = performance.now();
      const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `sf-direct-${round}`)));
      await hundredPids(direct.client, "pid");
      runs.direct.push(performance.now() - t0);
      await direct.close();
    }
    if (descendants(hangar.pid).length !== 0) throw new Error("single-flight: a provider process outlived registry_stop");
  } finally {
    await hangar.close();
  }
  const figures = compare(runs.direct, runs.hangar);
  const worst = (list) => Math.max(...list);
  const scenario = "5 single flight";
  return {
    rows: [
      row(scenario, `${CALLERS} concurrent first calls: time to answer all`, "ms", figures),
      row(scenario, "spawns per cold provider (worst round, /proc + registry_details)", "", { direct: 1, hangar: worst(runs.spawns) }, "exactly 1", runs.spawns.every((n) => n === 1)),
      row(scenario, `distinct pids among the ${CALLERS} answers (worst round)`, "", { direct: 1, hangar: worst(runs.pids) }, "1", runs.pids.every((n) => n === 1)),
      row(scenario, "error answers", "", { hangar: runs.errors.reduce((a, b) => a + b, 0) }, "0", runs.errors.every((n) => n === 0)),
    ],
    details: runs,
  };
}
