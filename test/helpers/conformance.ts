import { spawn } from "node:child_process";
import { join } from "node:path";
import { NODE, REPO_ROOT } from "./cli.js";

/** The official conformance suite's CLI (`@modelcontextprotocol/conformance`, a dev dependency). */
const CONFORMANCE_JS = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");

export interface ScenarioResult {
  passed: number;
  failed: number;
}

export interface ConformanceRun {
  /** Scenario name → its checks' counts, from the suite's summary. */
  scenarios: Map<string, ScenarioResult>;
  passed: number;
  failed: number;
  output: string;
}

const SCENARIO_LINE = /^[✓✗]\s+(\S+): (\d+) passed, (\d+) failed/u;
const TOTAL_LINE = /^Total: (\d+) passed, (\d+) failed/m;

/** Runs `conformance server --url URL` (the active suite) and reads its summary. */
export async function runConformance(url: string, timeoutMs = 120_000): Promise<ConformanceRun> {
  const child = spawn(NODE, [CONFORMANCE_JS, "server", "--url", url], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await new Promise<void>((resolve) => {
    child.once("close", () => {
      resolve();
    });
  });
  clearTimeout(timer);
  const output = chunks.join("");
  const scenarios = new Map<string, ScenarioResult>();
  for (const line of output.split("\n")) {
    const match = SCENARIO_LINE.exec(line.trim());
    if (match) scenarios.set(match[1] ?? "", { passed: Number(match[2]), failed: Number(match[3]) });
  }
  const total = TOTAL_LINE.exec(output);
  if (total === null) throw new Error(`the conformance suite printed no summary:\n${output}`);
  return { scenarios, passed: Number(total[1]), failed: Number(total[2]), output };
}

/** The scenarios whose every check passed. */
export function passingScenarios(run: ConformanceRun): string[] {
  return [...run.scenarios].filter(([, result]) => result.failed === 0 && result.passed > 0).map(([name]) => name);
}
