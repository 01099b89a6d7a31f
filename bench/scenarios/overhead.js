// 1. Per-call overhead on the stdio front: sequential echo calls, direct vs through the hangar
// by flat name and by registry_invoke, interleaved round by round, with a byte relay as the
// reference for the process hop alone.
import { callTool, connectDirect, connectRelay, PROVIDERS, providerEntry, tagArg, textOf } from "../lib/clients.js";
import { sequential } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "overhead";

export async function run(ctx) {
  const calls = ctx.quick ? 100 : 2_000;
  const rounds = ctx.quick ? 1 : 5;
  const rows = [];
  const details = {};
  for (const kind of ctx.providerKinds("everything")) {
    const provider = PROVIDERS[kind];
    const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `overhead-direct-${kind}`)));
    const relay = await connectRelay(provider.argv(tagArg(ctx.marker, `overhead-relay-${kind}`)));
    const hangar = await ctx.hangar(`overhead-${kind}`, { [kind]: providerEntry(kind, ctx.marker, `overhead-${kind}`) });
    try {
      const variants = {
        direct: () => callTool(direct.client, provider.tool, provider.args),
        relay: () => callTool(relay.client, provider.tool, provider.args),
        flat: () => callTool(hangar.client, `${kind}__${provider.tool}`, provider.args),
        invoke: () => callTool(hangar.client, "registry_invoke", { provider: kind, tool: provider.tool, arguments: provider.args }),
      };
      // registry_invoke starts the provider; its live tools then make the flat name resolvable.
      for (const [variant, call] of Object.entries(variants).reverse()) {
        const text = textOf(await call());
        if (text !== provider.expect) throw new Error(`${kind} ${variant}: expected "${provider.expect}", got "${text}"`);
      }
      const warmup = Object.values(variants);
      // Long enough for every process on the path to reach its optimized steady state.
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) for (const call of warmup) await sequential(call, ctx.quick ? 50 : 1_000);

      // The process between client and provider, whose CPU per call is measured.
      const middle = { direct: direct.pid, relay: relay.pid, flat: hangar.pid, invoke: hangar.pid };
      const runs = Object.fromEntries(Object.keys(variants).map((variant) => [variant, []]));
      const order = Object.keys(variants);
      for (let round = 0; round < rounds; round++) {
        // Rotate the order each round so no variant always runs first (or right after another).
        for (let i = 0; i < order.length; i++) {
          const variant = order[(i + round) % order.length];
          runs[variant].push(await sequential(variants[variant], calls, middle[variant]));
        }
      }
      details[kind] = runs;
      const pick = (variant, key) => runs[variant].map((r) => r[key]);
      const errors = (variant) => runs[variant].reduce((sum, r) => sum + r.errors, 0);
      const scenario = `1 overhead ${kind}`;
      const relayP50 = compare(pick("direct", "p50"), pick("relay", "p50"));
      const relayRate = compare(pick("direct", "rate"), pick("relay", "rate"));
      rows.push(row(scenario, "p50 latency, byte relay (reference: the hop alone)", "ms", relayP50));
      rows.push(row(scenario, "sequential calls/s, byte relay (reference)", "/s", { ...relayRate, added: undefined }));
      const cpu = compare(pick("relay", "cpuUs"), pick("flat", "cpuUs"));
      rows.push(row(scenario, `CPU per call of the middle process (direct column: the byte relay), ${kind}__echo`, "µs", cpu));
      for (const [variant, label] of [["flat", `${kind}__echo`], ["invoke", "registry_invoke"]]) {
        const p50 = compare(pick("direct", "p50"), pick(variant, "p50"));
        const p99 = compare(pick("direct", "p99"), pick(variant, "p99"));
        const rate = compare(pick("direct", "rate"), pick(variant, "rate"));
        rows.push(row(scenario, `p50 latency, ${label}`, "ms", p50, "added ≤ 0.20 ms", p50.added <= 0.2));
        rows.push(row(scenario, `p99 latency, ${label}`, "ms", p99));
        rows.push(
          row(scenario, `sequential calls/s, ${label}`, "/s", { ...rate, added: undefined }, "≥ 0.60× direct", rate.ratio >= 0.6),
        );
        const errs = errors(variant) + errors("direct");
        if (errs > 0) rows.push(row(scenario, `errors, ${label}`, "", { direct: errors("direct"), hangar: errors(variant) }, "0", false));
      }
    } finally {
      await Promise.all([direct.close(), relay.close(), hangar.close()]);
    }
  }
  return { rows, details };
}
