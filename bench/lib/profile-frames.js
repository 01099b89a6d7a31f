// What bench/profile-top.js (CPU) and bench/heap-top.js (allocation) share: their command line,
// and how a V8 call frame ({ functionName, url, lineNumber }) is named and put in a package.
import { readFileSync } from "node:fs";
import process from "node:process";

/** FILE [N] [--flags]: the file, its parsed profile, the row limit and the flags; exits 2 with `usage` without a FILE. */
export function readProfileArgs(usage) {
  process.stdout.on("error", () => process.exit(0)); // piped into head
  const args = process.argv.slice(2);
  const flags = new Set(args.filter((arg) => arg.startsWith("--")));
  const [file, limit = "25"] = args.filter((arg) => !arg.startsWith("--"));
  if (!file) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(2);
  }
  return { file, profile: JSON.parse(readFileSync(file, "utf8")), limit: Number(limit), flags };
}

/** "function path:line", the path relative to the working directory. */
export function frameLabel({ functionName, url, lineNumber }) {
  const where = url ? `${url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"} ${where}`.trim();
}

/** The npm package a frame runs in, "node internals", "hangar (dist/)", or `native` for a frame without a script. */
export function framePackage({ url, functionName }, native = "native") {
  if (!url) return functionName.startsWith("(") ? functionName : native;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith("node:")) return "node internals";
  return "hangar (dist/)";
}
