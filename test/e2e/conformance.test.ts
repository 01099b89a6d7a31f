import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fixtureCommand, NODE, REPO_ROOT } from "../helpers/cli.js";
import { passingScenarios, runConformance } from "../helpers/conformance.js";
import { useHttpE2E } from "../helpers/http.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useHttpE2E();

/** The count README.md records ("Conformance: N of M checks pass"), read so the two cannot drift. */
function recordedCount(): { passed: number; total: number } {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const match = /conformance suite[^\n]*?: \*\*(\d+) of (\d+) checks pass\*\*/i.exec(readme);
  if (match === null) throw new Error("README.md does not record the conformance count ('conformance suite …: **N of M checks pass**')");
  return { passed: Number(match[1]), total: Number(match[2]) };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** The fixture serving streamable HTTP itself, for the direct run. */
async function startFixtureOverHttp(marker: string): Promise<string> {
  const [, script = "", ...args] = fixtureCommand("conformance-server.js", marker, "--http", "0");
  const child = spawn(NODE, [script, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  stops.push(() => child.kill("SIGTERM"));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return waitFor(() => /listening on (http:\S+)/.exec(stderr)?.[1], 10_000, "the fixture's URL");
}

describe("the official MCP conformance suite (@modelcontextprotocol/conformance, server scenarios)", () => {
  it("passes through the hangar's HTTP front end every scenario the fixture passes directly, and the count README records", async () => {
    const marker = e2e.marker();
    const direct = await runConformance(await startFixtureOverHttp(marker));

    const hangar = await e2e.startHttp({
      providers: { conformance: { command: fixtureCommand("conformance-server.js", marker), passthrough_names: true } },
    });
    const through = await runConformance(`${hangar.url}/mcp`);

    const lost = passingScenarios(direct).filter((name) => !passingScenarios(through).includes(name));
    expect(lost, `scenarios passing directly but not through the hangar:\n${through.output}`).toEqual([]);
    const recorded = recordedCount();
    expect({ passed: through.passed, total: through.passed + through.failed }).toEqual(recorded);
    // Nothing fails through the hangar (a check may report INFO instead of a pass: see README).
    expect(through.failed).toBe(0);
  }, 240_000);
});
