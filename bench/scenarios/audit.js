// 7. The audit trail's cost: the same echo calls through two hangars, one with audit off and one
// writing every event to SQLite (the default capture: size + keyed hash), interleaved round by
// round; sequential (per-call latency) and 8 concurrent callers (throughput, where batching shows).
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { callTool, connectHangar, PROVIDERS, providerEntry, textOf } from "../lib/clients.js";
import { concurrent, sequential } from "../lib/load.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "audit";

const KIND = "fixture";

function writeAuditConfig(ctx, variant, audit) {
  const path = join(ctx.dir, `audit-${variant}.yaml`);
  writeFileSync(path, JSON.stringify({ providers: { [KIND]: providerEntry(KIND, ctx.marker, `audit-${variant}`) }, audit }, null, 1));
  return path;
}

export async function run(ctx) {
  const calls = ctx.quick ? 100 : 2_000;
  const rounds = ctx.quick ? 1 : 6;
  const workers = 8;
  const provider = PROVIDERS[KIND];
  const off = await connectHangar(writeAuditConfig(ctx, "off", { enabled: false }), { marker: ctx.marker });
  const on = await connectHangar(writeAuditConfig(ctx, "on", { path: join(ctx.dir, "audit.db") }), { marker: ctx.marker });
  const rows = [];
  try {
    const variants = {
      off: () => callTool(off.client, `${KIND}__${provider.tool}`, provider.args),
      on: () => callTool(on.client, `${KIND}__${provider.tool}`, provider.args),
    };
    for (const hangar of [off, on]) {
      const text = textOf(await callTool(hangar.client, "registry_invoke", { provider: KIND, tool: provider.tool, arguments: provider.args }));
      if (text !== provider.expect) throw new Error(`audit: expected "${provider.expect}", got "${text}"`);
    }
    for (const call of Object.values(variants)) await sequential(call, ctx.quick ? 100 : 2_000);
    const pid = { off: off.pid, on: on.pid };
    const seq = { off: [], on: [] };
    const par = { off: [], on: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which hangar goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? ["off", "on"] : ["on", "off"];
      for (const variant of order) seq[variant].push(await sequential(variants[variant], calls, pid[variant]));
      for (const variant of order) par[variant].push(await concurrent(variants[variant], calls * 2, workers, pid[variant]));
    }
    const pick = (runs, variant, key) => runs[variant].map((r) => r[key]);
    const scenario = "7 audit on vs off";
    // In these rows the "direct" column is the hangar with audit off, "hangar" the one with audit on.
    const p50 = compare(pick(seq, "off", "p50"), pick(seq, "on", "p50"));
    rows.push(row(scenario, "p50 latency, sequential (direct column: audit off)", "ms", p50, "within 10 %", p50.ratio <= 1.1));
    const rate = compare(pick(seq, "off", "rate"), pick(seq, "on", "rate"));
    rows.push(row(scenario, "sequential calls/s (direct column: audit off)", "/s", { ...rate, added: undefined }, "≥ 0.90×", rate.ratio >= 0.9));
    const cpu = compare(pick(seq, "off", "cpuUs"), pick(seq, "on", "cpuUs"));
    rows.push(row(scenario, "hangar CPU per call, sequential (direct column: audit off)", "µs", cpu));
    // The audit writer works on its own thread: what the event loop, which serves the calls, still pays.
    const mainCpu = compare(pick(seq, "off", "mainCpuUs"), pick(seq, "on", "mainCpuUs"));
    rows.push(row(scenario, "hangar main-thread CPU per call, sequential (direct column: audit off)", "µs", mainCpu));
    const parRate = compare(pick(par, "off", "rate"), pick(par, "on", "rate"));
    rows.push(
      row(scenario, `calls/s with ${workers} concurrent callers (direct column: audit off)`, "/s", { ...parRate, added: undefined }, "≥ 0.90×", parRate.ratio >= 0.9),
    );
    const parCpu = compare(pick(par, "off", "cpuUs"), pick(par, "on", "cpuUs"));
    rows.push(row(scenario, `hangar CPU per call, ${workers} concurrent (direct column: audit off)`, "µs", parCpu));
    const parMainCpu = compare(pick(par, "off", "mainCpuUs"), pick(par, "on", "mainCpuUs"));
    rows.push(row(scenario, `hangar main-thread CPU per call, ${workers} concurrent (direct column: audit off)`, "µs", parMainCpu));
    return { rows, details: { sequential: seq, concurrent: par } };
  } finally {
    await Promise.all([off.close(), on.close()]);
  }
}
