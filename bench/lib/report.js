// Rows → the markdown table printed to stdout and pasted into BENCHMARKS.md.
import process from "node:process";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";

/**
 * One reported figure. `direct`/`hangar` in `unit`; `ratio` = hangar ÷ direct and `added` =
 * hangar − direct (both paired per round); `pass` true/false against `target`, null when the
 * figure is informational.
 */
export function row(scenario, metric, unit, figures, target = "", pass = null) {
  return { scenario, metric, unit, ...figures, target, pass };
}

function fmt(value, unit) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  if (typeof value === "string") return value;
  if (unit === "ratio") return `${value.toFixed(2)}×`;
  if (unit === "" && Number.isInteger(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ""}`;
}

export function markdownTable(rows) {
  const lines = [
    "| scenario | figure | direct | hangar | hangar ÷ direct | added | target | |",
    "|---|---|---:|---:|---:|---:|---|---|",
  ];
  for (const r of rows) {
    const verdict = r.pass === null ? "" : r.pass ? "PASS" : "**MISS**";
    lines.push(
      `| ${r.scenario} | ${r.metric} | ${fmt(r.direct, r.unit)} | ${fmt(r.hangar, r.unit)} | ${fmt(r.ratio, "ratio")} | ${fmt(r.added, r.unit)} | ${r.target} | ${verdict} |`,
    );
  }
  return lines.join("\n");
}

/** The commit of the checkout, and whether src/ differs from it (others may be editing). */
export function checkout(root) {
  try {
    const git = (...args) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" }).trim();
    return { commit: git("rev-parse", "--short", "HEAD"), srcModified: git("status", "--porcelain", "--", "src") !== "" };
  } catch {
    return { commit: "unknown", srcModified: false };
  }
}

export function machine() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  return {
    nproc: availableParallelism(),
    cpu: model,
    node: process.version,
    loadavg: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** Machine CPU time (busy and total, in clock ticks) and the CPU time of this process tree. */
export function cpuAccount() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = fields[3] + fields[4];
  const total = fields.reduce((sum, value) => sum + value, 0);
  const self = readFileSync("/proc/self/stat", "utf8");
  // utime, stime, cutime, cstime: the last two hold every reaped descendant (hangars reap providers).
  const [utime, stime, cutime, cstime] = self.slice(self.lastIndexOf(")") + 2).split(" ").slice(11, 15).map(Number);
  return { busy: total - idle, total, tree: utime + stime + cutime + cstime };
}

/** Share (%) of the machine's CPU that processes outside the bench used between two accounts. */
export function otherLoad(start, end) {
  const other = end.busy - start.busy - (end.tree - start.tree);
  return Math.max(0, Math.round((other / (end.total - start.total)) * 100));
}
