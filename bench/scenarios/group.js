// 9. Groups: the echo fixture's calls through a round-robin group of two members, against the
// same calls straight to one fixture (direct) and to one provider through the same hangar (its
// flat name): what picking a member and counting the call costs. Then failover under load: 16
// callers call the group's read-only `add` while one member's process is killed with SIGKILL;
// every call must still be answered (a read-only tool's failed attempt is retried on the other
// member), and the killed member serves again once the recovery saga restarted it.
import process from "node:process";
import { callTool, connectDirect, PROVIDERS, providerEntry, tagArg, textOf } from "../lib/clients.js";
import { concurrent, sequential } from "../lib/load.js";
import { waitUntil } from "../lib/procs.js";
import { row } from "../lib/report.js";
import { compare } from "../lib/stats.js";

export const name = "group";

const KIND = "fixture";
const CALLERS = 16;

export async function run(ctx) {
  const calls = ctx.quick ? 100 : 2_000;
  const total = ctx.quick ? 320 : 8_000;
  const rounds = ctx.quick ? 1 : 3;
  const provider = PROVIDERS[KIND];
  const member = (tag) => ({
    ...providerEntry(KIND, ctx.marker, `group-${tag}`),
    tools: provider.tools,
    // A killed member is restarted at once (the default waits a second first).
    restart: { initial_delay_s: 0.1 },
  });
  const direct = await connectDirect(provider.argv(tagArg(ctx.marker, "group-direct")));
  const hangar = await ctx.hangar("group", { single: member("single"), a: member("a"), b: member("b"), pair: { mode: "group", members: ["a", "b"] } });
  const rows = [];
  const details = {};
  try {
    const variants = {
      direct: () => callTool(direct.client, provider.tool, provider.args),
      provider: () => callTool(hangar.client, `single__${provider.tool}`, provider.args),
      group: () => callTool(hangar.client, `pair__${provider.tool}`, provider.args),
    };
    const answeredBy = new Set();
    for (let i = 0; i < 4; i++) {
      const result = await variants.group();
      if (textOf(result) !== provider.expect) throw new Error(`group: expected "${provider.expect}", got "${textOf(result)}"`);
      answeredBy.add(result._meta?.["mcp-hangar/member"]);
    }
    if (answeredBy.size !== 2) throw new Error(`group: round robin should use both members, answered by ${[...answeredBy].join(", ")}`);
    for (const call of Object.values(variants)) await sequential(call, ctx.quick ? 50 : 1_000);
    const middle = { direct: direct.pid, provider: hangar.pid, group: hangar.pid };
    const seq = { direct: [], provider: [], group: [] };
    const par = { direct: [], provider: [], group: [] };
    const order = Object.keys(seq);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < order.length; i++) {
        const variant = order[(i + round) % order.length];
        seq[variant].push(await sequential(variants[variant], calls, middle[variant]));
      }
      for (let i = 0; i < order.length; i++) {
        const variant = order[(i + round) % order.length];
        par[variant].push(await concurrent(variants[variant], total, CALLERS, middle[variant]));
      }
    }
    details.sequential = seq;
    details.concurrent = par;
    const scenario = `9 group ${KIND}`;
    const pick = (runs, variant, key) => runs[variant].map((r) => r[key]);
    for (const [label, runs] of [["sequential", seq], [`${CALLERS} callers`, par]]) {
      const rate = compare(pick(runs, "direct", "rate"), pick(runs, "group", "rate"));
      rows.push(row(scenario, `${label}: calls/s through a round-robin group of two`, "/s", { ...rate, added: undefined }));
      const share = compare(pick(runs, "provider", "rate"), pick(runs, "group", "rate"));
      rows.push(row(scenario, `${label}: calls/s, group (direct column: one provider in the same hangar)`, "/s", { ...share, added: undefined }));
      const p50 = compare(pick(runs, "provider", "p50"), pick(runs, "group", "p50"));
      rows.push(row(scenario, `${label}: p50 latency, group (direct column: one provider in the same hangar)`, "ms", p50));
      const cpu = compare(pick(runs, "provider", "cpuUs"), pick(runs, "group", "cpuUs"));
      rows.push(row(scenario, `${label}: hangar CPU per call, group (direct column: one provider)`, "µs", cpu));
      const errors = runs.group.reduce((sum, r) => sum + r.errors, 0);
      rows.push(row(scenario, `${label}: errors through the group`, "", { direct: 0, hangar: errors }, "0", errors === 0));
    }

    // Failover under load: member a's process is killed a quarter of the way through.
    const killedPid = Number(textOf(await callTool(hangar.client, "a__pid", {})));
    const add = { a: 2, b: 3 };
    let made = 0;
    let retried = 0;
    let wrong = 0;
    const byMember = { a: 0, b: 0 };
    const failover = await concurrent(async () => {
      if (++made === Math.floor(total / 4)) process.kill(killedPid, "SIGKILL");
      const result = await callTool(hangar.client, "pair__add", add);
      if (result.isError !== true && textOf(result) !== "5") wrong++;
      const meta = result._meta ?? {};
      if (meta["mcp-hangar/retried"] !== undefined) retried++;
      const answered = meta["mcp-hangar/member"];
      if (answered === "a" || answered === "b") byMember[answered]++;
      return result;
    }, total, CALLERS, hangar.pid);
    // The recovery saga restarts the killed member; round robin sends it calls again.
    await waitUntil(
      async () => {
        const result = await callTool(hangar.client, "a__pid", {});
        const pid = Number(textOf(result));
        return result.isError !== true && pid > 0 && pid !== killedPid;
      },
      10_000,
      "the killed member to be restarted",
      50,
    );
    let backOnA = false;
    for (let i = 0; i < 4 && !backOnA; i++) backOnA = (await variants.group())._meta?.["mcp-hangar/member"] === "a";
    details.failover = { ...failover, retried, wrong, byMember, backOnA };
    const failed = failover.errors + wrong;
    rows.push(row(scenario, `failover, ${CALLERS} callers, member a killed: errors`, "", { direct: 0, hangar: failed }, "0", failed === 0));
    rows.push(row(scenario, `failover: calls retried on the other member`, "", { direct: undefined, hangar: retried }));
    rows.push(row(scenario, `failover: calls answered by a / b`, "", { direct: undefined, hangar: `${byMember.a} / ${byMember.b}` }));
    rows.push(row(scenario, `failover: the restarted member serves again`, "", { direct: undefined, hangar: backOnA ? "yes" : "no" }, "yes", backOnA));
  } finally {
    await Promise.all([direct.close(), hangar.close()]);
  }
  return { rows, details };
}
