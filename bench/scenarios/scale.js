// 6. Scale: 200 configured providers with predefined tools, all COLD — tools/list latency,
// no process spawned, the hangar's RSS; then 20 READY providers and the RSS each one adds to the
// hangar process itself (its children excluded).
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { connectDirect, callTool, listTools, PROVIDERS, providerEntry, tagArg } from "../lib/clients.js";
import { descendants, rssMb, sampleRssMb, settledMemory } from "../lib/procs.js";
import { row } from "../lib/report.js";
import { median, summarize } from "../lib/stats.js";

export const name = "scale";

export async function run(ctx) {
  const count = 200;
  const warm = ctx.quick ? 5 : 20;
  const lists = ctx.quick ? 10 : 100;
  const provider = PROVIDERS.fixture;
  const ids = Array.from({ length: count }, (_, i) => `p${String(i).padStart(3, "0")}`);
  const providers = Object.fromEntries(ids.map((id) => [id, { ...providerEntry("fixture", ctx.marker, `scale-${id}`), tools: provider.tools }]));
  const direct = await connectDirect(provider.argv(tagArg(ctx.marker, "scale-direct")));
  const hangar = await ctx.hangar("scale", providers, { probe: true });
  const scenario = "6 scale";
  const rows = [];
  const details = {};
  try {
    await sleep(500);
    const spawnedAtStart = descendants(hangar.pid).length;
    // tools/list, one call each way in turn; the direct figure is one provider's own list.
    const times = { direct: [], hangar: [] };
    let listed = 0;
    for (let i = 0; i < lists + 10; i++) {
      for (const [side, client] of [["direct", direct.client], ["hangar", hangar.client]]) {
        const t0 = performance.now();
        const result = await listTools(client);
        const elapsed = performance.now() - t0;
        if (i >= 10) times[side].push(elapsed);
        if (side === "hangar") listed = result.tools.length;
      }
    }
    const spawnedAfterList = descendants(hangar.pid).length;
    const d = summarize(times.direct);
    const h = summarize(times.hangar);
    rows.push(row(scenario, `tools/list p50, ${count} COLD providers (${listed} tools; direct: 1 provider)`, "ms", { direct: d.p50, hangar: h.p50, ratio: h.p50 / d.p50, added: h.p50 - d.p50 }, "≤ 10 ms", h.p50 <= 10));
    rows.push(row(scenario, "tools/list p99", "ms", { direct: d.p99, hangar: h.p99, ratio: h.p99 / d.p99, added: h.p99 - d.p99 }));
    const spawned = Math.max(spawnedAtStart, spawnedAfterList);
    rows.push(row(scenario, "processes spawned while all COLD (/proc children of the hangar)", "", { hangar: spawned }, "0", spawned === 0));

    const directRss = await sampleRssMb(direct.pid);
    const coldRss = await sampleRssMb(hangar.pid);
    // After a full GC: what the hangar retains, apart from heap it grew for garbage and kept.
    const coldGc = await settledMemory(hangar.pid, ctx.dir);
    rows.push(row(scenario, `hangar RSS, ${count} COLD providers (direct: one idle provider process)`, "MB", { direct: directRss, hangar: coldRss, ratio: coldRss / directRss }, "≤ 80 MB", coldRss <= 80));
    rows.push(row(scenario, "the same after a full GC: RSS / V8 heap used", "MB", { hangar: `${coldGc.rss.toFixed(1)} / ${coldGc.heapUsed.toFixed(1)} MB` }));

    const warmIds = ids.slice(0, warm);
    const warmed = (await callTool(hangar.client, "registry_warm", { providers: warmIds })).structuredContent;
    const started = (warmed?.results ?? []).filter((result) => result.started === true).length;
    if (started !== warm) throw new Error(`registry_warm started ${started} of ${warm}: ${JSON.stringify(warmed)}`);
    // A few calls on each, so the READY providers have done what READY providers do.
    for (const id of warmIds) await callTool(hangar.client, `${id}__echo`, { text: "x" });
    await sleep(1_000);
    const readyRss = await sampleRssMb(hangar.pid, 9, 100);
    const readyGc = await settledMemory(hangar.pid, ctx.dir);
    const children = descendants(hangar.pid);
    const childRss = median(children.map(rssMb));
    // Per READY provider from the post-GC figures: garbage the warm-up left would otherwise count.
    const perReady = (readyGc.rss - coldGc.rss) / warm;
    const perReadyHeap = (readyGc.heapUsed - coldGc.heapUsed) / warm;
    rows.push(row(scenario, `hangar RSS with ${warm} READY (after a full GC: RSS / heap used)`, "MB", { hangar: `${readyRss.toFixed(1)} MB (${readyGc.rss.toFixed(1)} / ${readyGc.heapUsed.toFixed(1)})` }));
    rows.push(row(scenario, "hangar RSS added per READY provider, children excluded (direct: one provider process's own RSS)", "MB", { direct: childRss, hangar: perReady, ratio: perReady / childRss }, "≤ 2 MB", perReady <= 2));
    rows.push(row(scenario, "V8 heap retained per READY provider", "MB", { hangar: perReadyHeap }));
    if (children.length !== warm) rows.push(row(scenario, "READY provider processes", "", { hangar: children.length }, String(warm), false));
    Object.assign(details, { times, spawnedAtStart, spawnedAfterList, directRss, coldRss, coldGc, readyRss, readyGc, children: children.length, childRss, perReadyRaw: (readyRss - coldRss) / warm });
  } finally {
    await Promise.all([direct.close(), hangar.close()]);
  }
  return { rows, details };
}
