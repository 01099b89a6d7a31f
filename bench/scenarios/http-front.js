// 3. HTTP front: the overhead loop over streamable HTTP, the hangar against the peer
// `mcp-proxy` (npm) fronting the same stdio provider, interleaved round by round. The "direct"
// column of these rows is the peer; a direct stdio connection is measured alongside as the
// floor both stand on.
//
// The SDK-client rows (the targets) are driven by the SDK's StreamableHTTPClientTransport, whose
// CPU per call on the same two cores outweighs either server's. The "light client" rows drive
// both servers with bench/lib/light-http.js instead (plain keep-alive POSTs, one session per
// caller), interleaved with the rest, so their ratio is the servers' and not the client's.
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg, textOf, writeConfig } from "../lib/clients.js";
import { connectHttpHangar, connectMcpProxy } from "../lib/http-front.js";
import { openLightCallers } from "../lib/light-http.js";
import { concurrent, sequential } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "http";

export async function run(ctx) {
  // mcp-proxy answers ≈ 200 calls a second: a quick run keeps to a few hundred calls in all.
  const calls = ctx.quick ? 20 : 2_000;
  const total = ctx.quick ? 64 : 4_000;
  const workers = 16;
  const rounds = ctx.quick ? 1 : 5;
  const rows = [];
  const details = {};
  for (const kind of ctx.providerKinds("everything")) {
    const provider = PROVIDERS[kind];
    const direct = await connectDirect(provider.argv(tagArg(ctx.marker, `http-direct-${kind}`)));
    const peer = await connectMcpProxy(provider.argv(tagArg(ctx.marker, `http-peer-${kind}`)), { marker: ctx.marker });
    const configPath = writeConfig(ctx.dir, `http-${kind}`, {
      [kind]: { ...providerEntry(kind, ctx.marker, `http-hangar-${kind}`), tools: provider.tools },
    });
    const hangar = await connectHttpHangar(configPath, { marker: ctx.marker, nodeArgs: ctx.nodeArgs(`http-${kind}`), stateDir: ctx.stateDir });
    const light = [];
    try {
      const peerLight = await openLightCallers(peer.url, workers, provider.tool, provider.args);
      light.push(peerLight);
      const hangarLight = await openLightCallers(hangar.url, workers, `${kind}__${provider.tool}`, provider.args);
      light.push(hangarLight);
      const variants = {
        direct: () => callTool(direct.client, provider.tool, provider.args),
        peer: () => callTool(peer.client, provider.tool, provider.args),
        hangar: () => callTool(hangar.client, `${kind}__${provider.tool}`, provider.args),
        peerLight: peerLight.call,
        hangarLight: hangarLight.call,
      };
      for (const [variant, call] of Object.entries(variants)) {
        const text = textOf(await call());
        if (text !== provider.expect) throw new Error(`${kind} over ${variant}: expected "${provider.expect}", got "${text}"`);
      }
      for (let i = 0; i < (ctx.quick ? 1 : 3); i++) for (const call of Object.values(variants)) await sequential(call, ctx.quick ? 20 : 1_000);

      const middle = { direct: direct.pid, peer: peer.pid, hangar: hangar.pid, peerLight: peer.pid, hangarLight: hangar.pid };
      const seq = { direct: [], peer: [], hangar: [], peerLight: [], hangarLight: [] };
      const conc = { direct: [], peer: [], hangar: [], peerLight: [], hangarLight: [] };
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
      const ccpu = compare(pick(conc, "peer", "cpuUs"), pick(conc, "hangar", "cpuUs"));
      rows.push(row(scenario, `${workers} callers: CPU per call of the middle process (direct column: mcp-proxy)`, "µs", ccpu));
      const client = compare(pick(conc, "peer", "clientCpuUs"), pick(conc, "hangar", "clientCpuUs"));
      rows.push(row(scenario, `${workers} callers: CPU per call of the SDK clients (bench process; direct column: mcp-proxy)`, "µs", client));
      const errs = { direct: errors(seq, "peer") + errors(conc, "peer"), hangar: errors(seq, "hangar") + errors(conc, "hangar") };
      rows.push(row(scenario, "errors (direct column: mcp-proxy)", "", errs, "0", errs.hangar === 0));

      // Reference rows, no target: the same servers driven by the light client.
      const lightScenario = `3 http ${kind} light client`;
      const lrate = compare(pick(seq, "peerLight", "rate"), pick(seq, "hangarLight", "rate"));
      rows.push(row(lightScenario, "sequential calls/s (direct column: mcp-proxy)", "/s", { ...lrate, added: undefined }));
      const lcrate = compare(pick(conc, "peerLight", "rate"), pick(conc, "hangarLight", "rate"));
      rows.push(row(lightScenario, `${workers} callers: calls/s (direct column: mcp-proxy)`, "/s", { ...lcrate, added: undefined }));
      const lccpu = compare(pick(conc, "peerLight", "cpuUs"), pick(conc, "hangarLight", "cpuUs"));
      rows.push(row(lightScenario, `${workers} callers: CPU per call of the middle process (direct column: mcp-proxy)`, "µs", lccpu));
      const lclient = compare(pick(conc, "peerLight", "clientCpuUs"), pick(conc, "hangarLight", "clientCpuUs"));
      rows.push(row(lightScenario, `${workers} callers: CPU per call of the light client (bench process; direct column: mcp-proxy)`, "µs", lclient));
      const lerrs = {
        direct: errors(seq, "peerLight") + errors(conc, "peerLight"),
        hangar: errors(seq, "hangarLight") + errors(conc, "hangarLight"),
      };
      rows.push(row(lightScenario, "errors (direct column: mcp-proxy)", "", lerrs));
    } finally {
      await Promise.all(light.map((callers) => callers.close()));
      await Promise.all([direct.close(), peer.close(), hangar.close()]);
    }
  }
  return { rows, details };
}
