// 2. Concurrency: 16 and 128 callers sharing one session, direct vs through the hangar (flat name).
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg } from "../lib/clients.js";
import { concurrent } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "concurrency";

export async function run(ctx) {
  const total = ctx.quick ? 1_000 : 8_000;
  const rounds = ctx.quick ? 1 : 3;
  const levels = [16, 128];
  const rows = [];
  const details = {};
  for (const kind of Object.keys(PROVIDERS)) {
    const provider = PROVIDERS[kind];
    const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `concurrency-direct-${kind}`)));
    const hangar = await ctx.hangar(`concurrency-${kind}`, {
      [kind]: { ...providerEntry(kind, ctx.marker, `concurrency-${kind}`), tools: provider.tools },
    });
    try {
      const variants = {
        direct: () => callTool(direct.client, provider.tool, provider.args),
        hangar: () => callTool(hangar.client, `${kind}__${provider.tool}`, provider.args),
      };
      for (const call of Object.values(variants)) await concurrent(call, ctx.quick ? 300 : 1_000, 16);
      for (const workers of levels) {
        const runs = { direct: [], hangar: [] };
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? ["direct", "hangar"] : ["hangar", "direct"];
          for (const variant of order) runs[variant].push(await concurrent(variants[variant], total, workers));
        }
        details[`${kind}-${workers}`] = runs;
        const pick = (variant, key) => runs[variant].map((r) => r[key]);
        const errors = (variant) => runs[variant].reduce((sum, r) => sum + r.errors, 0);
        const rate = compare(pick("direct", "rate"), pick("hangar", "rate"));
        const p50 = compare(pick("direct", "p50"), pick("hangar", "p50"));
        const scenario = `2 concurrency ${kind}`;
        rows.push(row(scenario, `${workers} callers: calls/s`, "/s", { ...rate, added: undefined }, "≥ 0.60× direct", rate.ratio >= 0.6));
        rows.push(row(scenario, `${workers} callers: p50 latency`, "ms", p50));
        rows.push(
          row(scenario, `${workers} callers: errors`, "", { direct: errors("direct"), hangar: errors("hangar") }, "0", errors("hangar") === 0),
        );
      }
    } finally {
      await Promise.all([direct.close(), hangar.close()]);
    }
  }
  return { rows, details };
}
