// 7. Leak soak: start / call / kill -9 from outside / restart / idle stop, over and over, through
// one hangar; the hangar's RSS and open fds before and after, and processes left behind.
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { callTool, PROVIDERS, providerEntry, tagArg, textOf } from "../lib/clients.js";
import { descendants, fdCount, findTagged, probeMemory, sampleRssMb, settledMemory, waitUntil } from "../lib/procs.js";
import { row } from "../lib/report.js";

export const name = "soak";

const LANES = 2;
const CALLS_PER_PHASE = 20;

export async function run(ctx) {
  const seconds = ctx.soakS;
  const provider = PROVIDERS.fixture;
  const ids = Array.from({ length: LANES }, (_, i) => `soak${i}`);
  const tag = (id) => tagArg(ctx.marker, `soak-${id}`);
  const providers = Object.fromEntries(
    ids.map((id) => [id, {
        ...providerEntry("fixture", ctx.marker, `soak-${id}`),
        tools: provider.tools,
        idle_ttl_s: 1,
        // The recovery saga restarts a killed provider at once, and never gives up on it here:
        // every cycle kills it on purpose. (The breaker counts crashes too.)
        restart: { initial_delay_s: 0.1, max_delay_s: 0.1, multiplier: 1, max_restarts: 1_000_000 },
        circuit_breaker: { failure_threshold: 1_000_000 },
      },]),
  );
  const hangar = await ctx.hangar("soak", providers, { probe: true });
  const stats = { cycles: 0, calls: 0, crashAnswers: 0, crashTexts: [], unexpectedErrors: [] };

  const calls = async (id, count) => {
    for (let i = 0; i < count; i++) {
      const result = await callTool(hangar.client, `${id}__echo`, { text: "soak" });
      stats.calls++;
      if (result.isError === true || textOf(result) !== "soak") stats.unexpectedErrors.push(textOf(result).slice(0, 200));
    }
  };
  /** One cycle: start + calls, kill -9 from outside, restart + calls, idle stop. */
  const cycle = async (id) => {
    await calls(id, CALLS_PER_PHASE);
    const pid = Number(textOf(await callTool(hangar.client, `${id}__pid`, {})));
    process.kill(pid, "SIGKILL");
    // Until the provider runs again (restarted by the recovery saga, or by this call from COLD),
    // calls are answered with a crash / retry-after failure.
    for (;;) {
      const result = await callTool(hangar.client, `${id}__pid`, {});
      const text = textOf(result);
      if (result.isError !== true && Number(text) !== pid) break;
      if (result.isError === true) {
        stats.crashAnswers++;
        if (stats.crashTexts.length < 3 && !stats.crashTexts.includes(text)) stats.crashTexts.push(text);
      }
      await sleep(20);
    }
    await calls(id, CALLS_PER_PHASE);
    await waitUntil(() => findTagged(tag(id)).length === 0, 10_000, `${id} to idle-stop`, 50);
  };
  const lane = async (id, until) => {
    while (performance.now() < until) {
      await cycle(id);
      stats.cycles++;
    }
  };
  const settled = async () => {
    await waitUntil(() => descendants(hangar.pid).length === 0, 10_000, "every soak provider to stop", 50);
    await sleep(500);
    const rawRss = await sampleRssMb(hangar.pid, 5, 100);
    // After full GCs, so garbage not yet collected is not mistaken for a leak.
    return { rawRss, ...(await settledMemory(hangar.pid, ctx.dir)), fds: fdCount(hangar.pid) };
  };

  let before;
  let after;
  let leftover;
  const series = [];
  const t0 = performance.now();
  try {
    // Warm-up: every path has run a few times (JIT, pools, the stderr rings filling up).
    for (let i = 0; i < (ctx.quick ? 1 : 8); i++) await Promise.all(ids.map((id) => cycle(id)));
    stats.cycles = 0;
    before = await settled();
    const until = performance.now() + seconds * 1000;
    // Memory after a full GC every sixth of the run: a leak grows steadily, a warm-up levels off.
    const sampler = (async () => {
      for (;;) {
        await sleep(Math.min((seconds * 1000) / 6, Math.max(0, until - performance.now())));
        if (performance.now() >= until) break;
        const { rss, heapUsed, heapTotal } = await probeMemory(hangar.pid, ctx.dir);
        series.push({ s: Math.round((performance.now() - t0) / 1000), cycles: stats.cycles, rss, heapUsed, heapTotal });
      }
    })();
    await Promise.all([...ids.map((id) => lane(id, until)), sampler]);
    after = await settled();
    leftover = descendants(hangar.pid).length;
  } finally {
    await hangar.close();
  }
  const elapsed = (performance.now() - t0) / 1000;
  const drift = after.rss - before.rss;
  const scenario = `7 soak ${Math.round(elapsed)} s`;
  const info = `${stats.cycles} cycles, ${stats.calls} calls, ${stats.crashAnswers} crash answers`;
  return {
    rows: [
      row(scenario, `hangar RSS after a full GC, before → after (${info})`, "MB", { hangar: `${before.rss.toFixed(1)} → ${after.rss.toFixed(1)} MB`, added: drift }, "drift ≤ 5 MB", drift <= 5),
      row(scenario, "V8 heap used after a full GC, before → after", "MB", { hangar: `${before.heapUsed.toFixed(2)} → ${after.heapUsed.toFixed(2)} MB`, added: after.heapUsed - before.heapUsed }),
      row(scenario, "V8 heap reserved (heapTotal) after a full GC, before → after", "MB", { hangar: `${before.heapTotal.toFixed(1)} → ${after.heapTotal.toFixed(1)} MB`, added: after.heapTotal - before.heapTotal }),
      secondHalf(scenario, series),
      row(scenario, "hangar RSS as sampled (no forced GC), before → after", "MB", { hangar: `${before.rawRss.toFixed(1)} → ${after.rawRss.toFixed(1)} MB`, added: after.rawRss - before.rawRss }),
      row(scenario, "hangar open fds before → after", "", { hangar: `${before.fds} → ${after.fds}`, added: after.fds - before.fds }, "no growth", after.fds <= before.fds),
      row(scenario, "provider processes left after the idle stops", "", { hangar: leftover }, "0", leftover === 0),
      row(scenario, "unexpected errors", "", { hangar: stats.unexpectedErrors.length }, "0", stats.unexpectedErrors.length === 0),
    ],
    details: { ...stats, before, after, series, leftover, elapsed },
  };
}

/** A leak keeps growing; warm-up growth (JIT code, heap sizing, stderr rings filling) levels off. */
function secondHalf(scenario, series) {
  const first = series[Math.floor((series.length - 1) / 2)];
  const last = series.at(-1);
  if (first === undefined || last === undefined || first === last) return row(scenario, "memory over the second half", "MB", {});
  return row(scenario, `after a full GC mid-run, ${first.s} s → ${last.s} s: RSS / V8 heap used`, "MB", {
    hangar: `${first.rss.toFixed(1)} → ${last.rss.toFixed(1)} / ${first.heapUsed.toFixed(2)} → ${last.heapUsed.toFixed(2)} MB`,
    added: last.rss - first.rss,
  });
}
