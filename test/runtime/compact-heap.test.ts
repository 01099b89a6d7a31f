import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, FIXTURES, NODE, REPO_ROOT } from "../helpers/cli.js";

/**
 * compactHeapAfterStartUp() in a process of its own (a fresh V8, no --expose-gc unless asked):
 * an old generation left three quarters empty is compacted, not just swept, and the process's
 * global gets no `gc`. The built module (dist/) runs: V8 flags are the process's, not vitest's.
 */
const run = promisify(execFile);
const MB = 1024 * 1024;
const SCRIPT = join(FIXTURES, "fragmented-heap.js");
const MODULE = pathToFileURL(join(REPO_ROOT, "dist", "runtime", "compact-heap.js")).href;

interface Report {
  gcOnGlobal: string;
  kept: number;
  before: { size: number; used: number };
  after: { size: number; used: number };
}

async function fragmentedHeap(nodeArgs: string[] = []): Promise<Report> {
  const { stdout } = await run(NODE, [...nodeArgs, SCRIPT, MODULE], { timeout: 30_000 });
  return JSON.parse(stdout) as Report;
}

describe("compactHeapAfterStartUp", () => {
  beforeAll(assertBuilt);

  it("gives a mostly empty old generation's pages back, and leaves no gc on the global", async () => {
    const report = await fragmentedHeap();
    expect(report.kept).toBe(75_000);
    // Swept without moving, the kept quarter would still span the pages of all four (≈ 25 MB
    // committed for ≈ 8 MB live); compacted, the committed pages are about what is live.
    expect(report.before.size).toBeGreaterThan(report.after.size + 10 * MB);
    expect(report.after.size).toBeLessThan(report.after.used + 2 * MB);
    expect(report.gcOnGlobal).toBe("undefined");
  });

  it("compacts with a gc the user exposed, and keeps it", async () => {
    const report = await fragmentedHeap(["--expose-gc"]);
    expect(report.after.size).toBeLessThan(report.after.used + 2 * MB);
    expect(report.gcOnGlobal).toBe("function");
  });
});
