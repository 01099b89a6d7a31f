import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NODE, REPO_ROOT } from "../helpers/cli.js";

/**
 * `npm run bench` is the harness that issue #8 asks for; nothing else runs it, so a change to
 * the hangar or to the bench's own libraries could break it unseen. This runs it in quick mode
 * (every scenario, one provider each, few calls and rounds) against the built hangar. Its ratios
 * are not judged — a quick run on a machine shared with the rest of the suite says nothing about
 * speed — but
 * everything that is not a speed is: every scenario reports, every ratio is a number, and the
 * rows that count things (errors, spawns, pids, processes left, a failed-over member serving
 * again) meet their targets.
 */
interface Row {
  scenario: string;
  metric: string;
  ratio?: number;
  target?: string;
  pass?: boolean;
}

interface Results {
  quick: boolean;
  rows: Row[];
  table: string;
  machine: { nproc: number };
}

/** Targets that are counts, not speeds: a quick run must meet them as a full one does. */
const COUNT_TARGETS = new Set(["0", "exactly 1", "1", "yes"]);
/**
 * One row at least from each scenario. A quick run measures one provider per scenario (a full
 * run both): between them the scenarios drive server-everything and the project's fixture.
 */
const SCENARIOS = [
  "1 overhead everything",
  "2 concurrency fixture",
  "3 http everything",
  "4 cold start fixture",
  "5 single flight",
  "6 scale",
  "7 soak",
  "7 audit on vs off",
  "9 group fixture",
  "all",
];

const dir = mkdtempSync(join(tmpdir(), "hangar-bench-quick-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function withoutBenchSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("BENCH_")));
}

function runBench(resultsPath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(
      NODE,
      ["--expose-gc", join(REPO_ROOT, "bench", "run.js")],
      {
        cwd: REPO_ROOT,
        // This checkout's build, every scenario, whatever BENCH_* a developer's shell has set.
        env: { ...withoutBenchSettings(process.env), BENCH_QUICK: "1", BENCH_RESULTS: resultsPath },
        timeout: 280_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolveRun({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
      },
    );
  });
}

describe("npm run bench, quick mode", () => {
  it("runs every scenario: a table, the results file, every ratio a number, every count on target", { timeout: 300_000 }, async () => {
    const resultsPath = join(dir, "run.json");
    const run = await runBench(resultsPath);
    // 0: every target met, 1: a target missed (expected of ratios here); 2 or a signal: the harness failed.
    expect([0, 1], run.stderr).toContain(run.code);

    const results = JSON.parse(readFileSync(resultsPath, "utf8")) as Results;
    expect(results.quick).toBe(true);
    expect(results.machine.nproc).toBeGreaterThan(0);
    // The table on stdout is the one in the file, followed by the run's summary line.
    expect(run.stdout).toContain(results.table);
    expect(run.stdout).toMatch(/quick run, \d+ s; other processes used/);

    for (const scenario of SCENARIOS) {
      expect(
        results.rows.some((row) => row.scenario.startsWith(scenario)),
        `no row from "${scenario}"`,
      ).toBe(true);
    }
    for (const row of results.rows) {
      const name = `${row.scenario}: ${row.metric}`;
      if (row.ratio !== undefined) expect(Number.isFinite(row.ratio) && row.ratio >= 0, `${name}: ratio ${row.ratio}`).toBe(true);
      if (row.target !== undefined && COUNT_TARGETS.has(row.target)) expect(row.pass, `${name} missed its target ${row.target}`).toBe(true);
    }
    const counted = results.rows.filter((row) => row.target !== undefined && COUNT_TARGETS.has(row.target));
    // Errors of each load scenario, single flight's spawns and pids, the scale's zero spawns, the soak's leftovers, the failover.
    expect(counted.length).toBeGreaterThanOrEqual(14);
  });
});
