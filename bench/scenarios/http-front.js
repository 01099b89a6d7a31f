// 3. HTTP front: the overhead loop over streamable HTTP, the hangar against the peer
// `mcp-proxy` (npm) fronting the same stdio provider, interleaved round by round. The "direct"
// column of these rows is the peer; a direct stdio connection is measured alongside as the
// floor both stand on.
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg, textOf, writeConfig } from "../lib/clients.js";
import { connectHttpHangar, connectMcpProxy } from "../lib/http-front.js";
import { concurrent, sequential } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "http";

export async function run(ctx) {
  const calls = ctx.quick ? 200 : 2_000;
  const total = ctx.quick ? 400 : 4_000;
  const workers = 16;
  const rounds = ctx.quick ? 2 : 5;
  const rows = [];
  const details = {};
  for (const kind of Object.keys(PROVIDERS)) {
    const provider = PROVIDERS[kind];
    const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `http-direct-${kind}`)));
    const peer = await connectMcpProxy(provider.argv(tagArg(ctx.marker, `http-peer-${kind}`)), { marker: ctx.marker });
    const configPath = writeConfig(ctx.dir, `http-${kind}`, {
      [kind]: { ...providerEntry(kind, ctx.marker, `http-hangar-${kind}`), tools: provider.tools },
    });
    const hangar = await connectHttpHangar(configPath, { marker: ctx.marker, nodeArgs: ctx.nodeArgs(`http-${kind}`), stateDir: ctx.stateDir });
    try {
      const variants = {
        direct: () => callTool(direct.client, provider.tool, provider.args),
        peer: () => callTool(peer.client, provider.tool, provider.args),
        hangar: () => callTool(hangar.client, `${kind}__${provider.tool}`, provider.args),
      };
      for (const [variant, call] of Object.entries(variants)) {
        const text = textOf(await call());
        if (text !== provider.expect) throw new Error(`${kind} over ${variant}: expected "${provider.expect}", got "${text}"`);
      }
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) for (const call of Object.values(variants)) await sequential(call, ctx.quick ? 200 : 1_000);

      const middle = { direct: direct.pid, peer: peer.pid, hangar: hangar.pid };
      const seq = { direct: [], peer: [], hangar: [] };
      const conc = { direct: [], peer: [], hangar: [] };
      const order = Object.keys(variants);
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < order.length; i++) {
          const variant = order[(i + round) % order.length];
          seq[variant].push(await sequential(variants[variant], calls, middle[variant]));
          conc[variant].push(await concurrent(variants[variant], total, workers, middle[variant]));
        }
      }
      details[kind] = { sequential: seq, concurrent: conc };
      const pick = (runs, variant, key) => runs[variant].map((r) => r[key]);
      const errors = (runs, variant) => runs[variant].reduce((sum, r) => sum + r.errors, 0);
      const scenario = `3 http ${kind}`;
      const floor = compare(pick(seq, "direct", "p50"), pick(seq, "hangar", "p50"));
      rows.push(row(scenario, "p50 latency, hangar over HTTP vs direct stdio (reference)", "ms", floor));
      const p50 = compare(pick(seq, "peer", "p50"), pick(seq, "hangar", "p50"));
      rows.push(row(scenario, "p50 latency (direct column: mcp-proxy)", "ms", p50, "≤ 0.50× mcp-proxy", p50.ratio <= 0.5));
      rows.push(row(scenario, "p99 latency (direct column: mcp-proxy)", "ms", compare(pick(seq, "peer", "p99"), pick(seq, "hangar", "p99"))));
      const rate = compare(pick(seq, "peer", "rate"), pick(seq, "hangar", "rate"));
      rows.push(row(scenario, "sequential calls/s (direct column: mcp-proxy)", "/s", { ...rate, added: undefined }, "≥ 2× mcp-proxy", rate.ratio >= 2));
      const crate = compare(pick(conc, "peer", "rate"), pick(conc, "hangar", "rate"));
      rows.push(
        row(scenario, `${workers} callers: calls/s (direct column: mcp-proxy)`, "/s", { ...crate, added: undefined }, "≥ 2× mcp-proxy", crate.ratio >= 2),
      );
      const cpu = compare(pick(seq, "peer", "cpuUs"), pick(seq, "hangar", "cpuUs"));
      rows.push(row(scenario, "CPU per call of the middle process (direct column: mcp-proxy)", "µs", cpu));
      const errs = { direct: errors(seq, "peer") + errors(conc, "peer"), hangar: errors(seq, "hangar") + errors(conc, "hangar") };
      rows.push(row(scenario, "errors (direct column: mcp-proxy)", "", errs, "0", errs.hangar === 0));
    } finally {
      await Promise.all([direct.close(), peer.close(), hangar.close()]);
    }
  }
  return { rows, details };
}
