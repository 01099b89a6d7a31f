// `npm run bench`: every scenario, direct and through the hangar in the same run, interleaved.
// Env: BENCH_QUICK=1 (smoke run of every scenario, one provider each, under a minute), BENCH_SOAK_S (soak length, default 60),
// BENCH_ONLY=overhead,scale (a subset), BENCH_PROFILE=1 (hangars run with --cpu-prof; the
// .cpuprofile files go to a temp dir printed at the end; summarize with bench/profile-top.js),
// BENCH_HANGAR_JS=/other/checkout/dist/main.js (measure another build of the hangar),
// BENCH_CONFIG_EXTRA='{"audit":{"enabled":false}}' (top-level keys added to every hangar config),
// BENCH_HANGAR_NODE_FLAGS='--max-semi-space-size=4' (node flags for every hangar process, not the others),
// BENCH_RESULTS=/tmp/run.json (where the results go instead of bench/results/latest.json).
import { performance } from "node:perf_hooks";
import process from "node:process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { closeAll, connectHangar, MAIN_JS, PROVIDERS, writeConfig } from "./lib/clients.js";
import { findTagged, killAll } from "./lib/procs.js";
import { checkout, cpuAccount, machine, markdownTable, otherLoad, row } from "./lib/report.js";
import * as overhead from "./scenarios/overhead.js";
import * as concurrency from "./scenarios/concurrency.js";
import * as httpFront from "./scenarios/http-front.js";
import * as coldStart from "./scenarios/cold-start.js";
import * as singleFlight from "./scenarios/single-flight.js";
import * as scale from "./scenarios/scale.js";
import * as soak from "./scenarios/soak.js";
import * as audit from "./scenarios/audit.js";
import * as group from "./scenarios/group.js";

const SCENARIOS = [overhead, concurrency, httpFront, coldStart, singleFlight, scale, soak, audit, group];
const RESULTS = resolve(process.env.BENCH_RESULTS ?? join(dirname(fileURLToPath(import.meta.url)), "results", "latest.json"));

function progress(text) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  const profileDir = process.env.BENCH_PROFILE === "1" ? mkdtempSync(join(tmpdir(), "hangar-cpuprof-")) : undefined;
  const dir = mkdtempSync(join(tmpdir(), "hangar-bench-"));
  const hangarNodeFlags = process.env.BENCH_HANGAR_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const ctx = {
    quick,
    soakS: Number(process.env.BENCH_SOAK_S ?? (quick ? 3 : 60)),
    /**
     * The provider kinds a scenario measures: both in a full run; in a quick run only the one
     * the scenario names, so a smoke run (npm test runs one) costs half the time and the
     * scenarios between them still drive both providers.
     */
    providerKinds: (quickKind) => (quick ? [quickKind] : Object.keys(PROVIDERS)),
    // Every process of this run carries it (argv of providers, environment of hangars).
    marker: `bench-${randomUUID()}`,
    dir,
    /** Every hangar's MCP_HANGAR_STATE_DIR: this run's own audit trail and process-group records. */
    stateDir: join(dir, "state"),
    /** Node flags for a hangar process named `name` (a CPU profile with BENCH_PROFILE=1). */
    nodeArgs: (name) => [
      ...hangarNodeFlags,
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.${randomUUID().slice(0, 8)}.cpuprofile`] : []),
    ],
    /** Starts a hangar on a config written from `providers` (and `topLevel` keys); `probe: true` preloads the memory probe. */
    hangar: (name, providers, { probe = false, topLevel = {} } = {}) =>
      connectHangar(writeConfig(dir, name, providers, topLevel), { marker: ctx.marker, probeDir: probe ? dir : undefined, stateDir: ctx.stateDir, nodeArgs: ctx.nodeArgs(name) }),
  };
  const info = machine();
  const source = checkout(resolve(dirname(MAIN_JS), ".."));
  progress(`hangar under test: ${MAIN_JS} (checkout ${source.commit}${source.srcModified ? ", src/ modified" : ""})`);
  progress(`${quick ? "quick" : "full"} run on ${info.nproc} × ${info.cpu}, node ${info.node}, load ${info.loadavg.join(" ")}`);
  if (!globalThis.gc) progress("warning: run with node --expose-gc so the bench's own GC is settled before each timed run");

  const started = performance.now();
  const cpuAtStart = cpuAccount();
  const rows = [];
  const details = {};
  let failed;
  try {
    for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
      const t0 = performance.now();
      progress(`${scenario.name} …`);
      const result = await scenario.run(ctx);
      rows.push(...result.rows);
      details[scenario.name] = result.details;
      progress(`${scenario.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } catch (error) {
    failed = error;
  } finally {
    await closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
  // Nothing this run started may survive it.
  const leftovers = findTagged(ctx.marker, { substring: true });
  killAll(leftovers);
  rows.push(row("all", "processes of this run left at the end", "", { hangar: leftovers.length }, "0", leftovers.length === 0));

  const seconds = (performance.now() - started) / 1000;
  // Everything the bench started has exited and been reaped by now, so its CPU is accounted.
  info.otherLoadPercent = otherLoad(cpuAtStart, cpuAccount());
  const table = markdownTable(rows);
  const summary =
    `${info.nproc} × ${info.cpu}, node ${info.node}, checkout ${source.commit}${source.srcModified ? " (src/ modified)" : ""}, ` +
    `${quick ? "quick" : "full"} run, ${seconds.toFixed(0)} s; other processes used ${info.otherLoadPercent} % of the machine's CPU meanwhile`;
  process.stdout.write(`\n${table}\n\n${summary}\n`);
  if (info.otherLoadPercent > 10) progress("warning: other processes loaded the machine during the run; ratios are disturbed");
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify({ date: new Date().toISOString(), quick, seconds, hangar: MAIN_JS, checkout: source, machine: info, rows, details, table }, null, 1));
  progress(`results written to ${RESULTS}`);
  if (profileDir) progress(`CPU profiles of the hangars in ${profileDir} (node bench/profile-top.js ${profileDir}/<file>)`);
  if (failed) throw failed;
  if (rows.some((r) => r.pass === false)) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
