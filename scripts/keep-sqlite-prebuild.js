#!/usr/bin/env node
// CI, after `npm ci`: keeps the better-sqlite3 binary npm ci just compiled as the prebuilt binary
// that better-sqlite3's installer (prebuild-install) looks for in npm's cache before it downloads
// one. Its download comes from GitHub, out of reach on the CI machine, so every clean clone
// compiled SQLite from source — about 2 minutes on two cores, the longest part of npm ci. The next
// clean-clone run on this machine unpacks the kept binary instead.
//
// Keyed as prebuild-install keys it: the package version, Node's ABI, platform, arch and libc (its
// own download URL, hashed). prebuild-install loads an unpacked binary before it accepts it, and
// compiles from source when that fails, so a bad entry costs a compile, never a broken install.
// Usage: node scripts/keep-sqlite-prebuild.js   (in the checkout whose node_modules holds the build)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import process from "node:process";

const packageDir = resolve("node_modules", "better-sqlite3");
const binary = join("build", "Release", "better_sqlite3.node");
if (!existsSync(join(packageDir, binary))) {
  process.stderr.write(`keep-sqlite-prebuild: no ${binary} in ${packageDir}; nothing kept\n`);
  process.exit(0);
}
// prebuild-install's own modules, as better-sqlite3's installer resolves them.
const require = createRequire(join(packageDir, "package.json"));
const pkg = require("./package.json");
const settings = require("prebuild-install/rc")(pkg);
const util = require("prebuild-install/util");
const cached = util.cachedPrebuild(util.getDownloadUrl({ ...settings, pkg }));
if (existsSync(cached)) process.exit(0);
mkdirSync(dirname(cached), { recursive: true });
// The layout of a published prebuilt: build/Release/<name>.node, unpacked into the package.
const temp = `${cached}.${String(process.pid)}.tmp`;
execFileSync("tar", ["-czf", temp, binary], { cwd: packageDir });
renameSync(temp, cached);
process.stdout.write(`keep-sqlite-prebuild: the compiled better-sqlite3 kept as ${cached}\n`);
