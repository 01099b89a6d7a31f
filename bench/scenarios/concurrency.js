// 2. Concurrency: 16 and 128 callers sharing one session, direct vs through the hangar (flat
// name), with the byte relay as the reference for the process hop alone, and a second hangar
// with its audit trail off as the reference for what the trail's writer thread takes from the
// same cores (BENCHMARKS.md, "What stands between the hangar and the throughput targets").
import { callTool, connectDirect, connectRelay, PROVIDERS, providerEntry, tagArg } from "../lib/clients.js";
import { concurrent } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "concurrency";

export async function run(ctx) {
  const total = ctx.quick ? 320 : 8_000;
  const rounds = ctx.quick ? 1 : 3;
  const levels = [16, 128];
  const rows = [];
  const details = {};
  for (const kind of ctx.providerKinds("fixture")) {
    const provider = PROVIDERS[kind];
    const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `concurrency-direct-${kind}`)));
    const relay = await connectRelay(provider.argv(tagArg(ctx.marker, `concurrency-relay-${kind}`)));
    const hangar = await ctx.hangar(`concurrency-${kind}`, {
      [kind]: { ...providerEntry(kind, ctx.marker, `concurrency-${kind}`), tools: provider.tools },
    });
    const untrailed = await ctx.hangar(
      `concurrency-${kind}-audit-off`,
      { [kind]: { ...providerEntry(kind, ctx.marker, `concurrency-audit-off-${kind}`), tools: provider.tools } },
      { topLevel: { audit: { enabled: false } } },
    );
    try {
      const variants = {
        direct: () => callTool(direct.client, provider.tool, provider.args),
        relay: () => callTool(relay.client, provider.tool, provider.args),
        hangar: () => callTool(hangar.client, `${kind}__${provider.tool}`, provider.args),
        untrailed: () => callTool(untrailed.client, `${kind}__${provider.tool}`, provider.args),
      };
      for (const call of Object.values(variants)) await concurrent(call, ctx.quick ? 64 : 1_000, 16);
      for (const workers of levels) {
        const runs = { direct: [], relay: [], hangar: [], untrailed: [] };
        const order = Object.keys(runs);
        const middle = { direct: direct.pid, relay: relay.pid, hangar: hangar.pid, untrailed: untrailed.pid };
        for (let round = 0; round < rounds; round++) {
          for (let i = 0; i < order.length; i++) {
            const variant = order[(i + round) % order.length];
            runs[variant].push(await concurrent(variants[variant], total, workers, middle[variant]));
          }
        }
        details[`${kind}-${workers}`] = runs;
        const pick = (variant, key) => runs[variant].map((r) => r[key]);
        const errors = (variant) => runs[variant].reduce((sum, r) => sum + r.errors, 0);
        const rate = compare(pick("direct", "rate"), pick("hangar", "rate"));
        const p50 = compare(pick("direct", "p50"), pick("hangar", "p50"));
        const scenario = `2 concurrency ${kind}`;
        const relayRate = compare(pick("direct", "rate"), pick("relay", "rate"));
        rows.push(row(scenario, `${workers} callers: calls/s, byte relay (reference)`, "/s", { ...relayRate, added: undefined }));
        const untrailedRate = compare(pick("direct", "rate"), pick("untrailed", "rate"));
        rows.push(row(scenario, `${workers} callers: calls/s, hangar with its audit trail off (reference)`, "/s", { ...untrailedRate, added: undefined }));
        rows.push(row(scenario, `${workers} callers: calls/s`, "/s", { ...rate, added: undefined }, "≥ 0.60× direct", rate.ratio >= 0.6));
        rows.push(row(scenario, `${workers} callers: p50 latency`, "ms", p50));
        const cpu = compare(pick("relay", "cpuUs"), pick("hangar", "cpuUs"));
        rows.push(row(scenario, `${workers} callers: CPU per call of the middle process (direct column: the byte relay)`, "µs", cpu));
        const untrailedCpu = compare(pick("relay", "cpuUs"), pick("untrailed", "cpuUs"));
        rows.push(row(scenario, `${workers} callers: CPU per call, hangar with its audit trail off (direct column: the byte relay)`, "µs", untrailedCpu));
        const hangarErrors = errors("hangar") + errors("untrailed");
        rows.push(row(scenario, `${workers} callers: errors (both hangars)`, "", { direct: errors("direct"), hangar: hangarErrors }, "0", hangarErrors === 0));
      }
    } finally {
      await Promise.all([direct.close(), relay.close(), hangar.close(), untrailed.close()]);
    }
  }
  return { rows, details };
}
