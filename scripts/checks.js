#!/usr/bin/env node
// npm test's static checks: lint beside typecheck-then-build. Each is one single-threaded process
// and the CI machine has two cores, so side by side they take about as long as lint alone.
// Each lane's output is printed as one block, labelled, when it ends; the run fails when any
// check fails and says which. Usage: node scripts/checks.js   (what `npm test` runs first)
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import process from "node:process";

/** Lanes run side by side; the npm scripts within one lane run in order, stopping at a failure. */
const lanes = [["lint"], ["typecheck", "build"]];

/** Runs one npm script, its stdout and stderr kept together; resolves with its exit code and output. */
function runScript(name) {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", name], { stdio: ["ignore", "pipe", "pipe"] });
    running.add(child);
    const chunks = [];
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.stderr.on("data", (chunk) => chunks.push(chunk));
    child.on("error", (error) => chunks.push(Buffer.from(`could not start npm: ${error.message}\n`)));
    child.on("close", (code, signal) => {
      running.delete(child);
      resolve({ code: code ?? 1, signal, output: Buffer.concat(chunks).toString() });
    });
  });
}

const running = new Set();
// An interrupted run stops its checks too, instead of leaving an eslint or tsc running on.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(130);
  });
}

const failed = [];
const skipped = [];
await Promise.all(
  lanes.map(async (lane) => {
    for (const name of lane) {
      const started = performance.now();
      const { code, signal, output } = await runScript(name);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const verdict = code === 0 ? "ok" : `FAILED (${signal ?? `exit ${String(code)}`})`;
      process.stdout.write(`── ${name}: ${verdict}, ${seconds} s ──\n${output}${output === "" || output.endsWith("\n") ? "" : "\n"}`);
      if (code !== 0) {
        failed.push(name);
        skipped.push(...lane.slice(lane.indexOf(name) + 1));
        return;
      }
    }
  }),
);
if (failed.length > 0) {
  process.stdout.write(`checks failed: ${failed.join(", ")}${skipped.length > 0 ? ` (not run: ${skipped.join(", ")})` : ""}\n`);
  process.exit(1);
}
