import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type Dockerode from "dockerode";
import { engineFromEnv } from "../../src/actors/container-engine.js";
import { FIXTURES } from "./cli.js";

/**
 * The container tests' image, made without any registry: a root filesystem of this machine's own
 * node binary, the libraries `ldd` lists for it, and test/fixtures/container-server.js, imported
 * with the engine's import call (`docker import`); it has no CMD, so specs name
 * `/usr/bin/node /app/server.js` as their command. Built once and tagged by a hash of what goes
 * in, so later runs find it.
 */
export const IMAGE_REPO = "mcp-hangar-test/fixture";
const SERVER = join(FIXTURES, "container-server.js");
/** Bumped when the way the image is made changes, so a stale cached image is not reused. */
const RECIPE = "rootfs-2";

export interface EngineCheck {
  engine: Dockerode | undefined;
  /** Why there is no engine (for the loud skip message). */
  reason: string | undefined;
}

/** Pings the engine once; under CI a missing engine is an error, elsewhere the tests skip loudly. */
export async function checkEngine(): Promise<EngineCheck> {
  const engine = engineFromEnv();
  try {
    await engine.ping();
    return { engine, reason: undefined };
  } catch (error) {
    const reason = `no Docker engine reachable (${process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock"}): ${String(error)}`;
    if (process.env.CI === "true") throw new Error(`${reason} — under CI=true the container tests must run (.ci/run starts dockerd)`);
    console.warn(`\n${"!".repeat(100)}\n!! SKIPPING CONTAINER TESTS: ${reason}\n!! Start dockerd (or set DOCKER_HOST) to run them.\n${"!".repeat(100)}\n`);
    return { engine: undefined, reason };
  }
}

/** The node binary and every library it loads (absolute paths, symbolic links resolved on copy). */
function nodeFiles(): string[] {
  const output = execFileSync("ldd", [process.execPath], { encoding: "utf8" });
  const libraries = output
    .split("\n")
    .map((line) => /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
  return [process.execPath, ...libraries];
}

/** The tag for the current node binary and fixture. */
function imageTag(files: string[]): string {
  const hash = createHash("sha256");
  hash.update(`${RECIPE}\n${process.version}\n`);
  for (const file of files) hash.update(`${file}\n`);
  hash.update(readFileSync(SERVER));
  return `${IMAGE_REPO}:${hash.digest("hex").slice(0, 16)}`;
}

/** Returns the image's name, importing it first when the engine does not have it yet. */
export async function fixtureImage(engine: Dockerode): Promise<string> {
  const files = nodeFiles();
  const tag = imageTag(files);
  try {
    await engine.getImage(tag).inspect();
    return tag;
  } catch {
    // Not there yet: build it below.
  }
  const root = mkdtempSync(join(tmpdir(), "hangar-rootfs-"));
  try {
    for (const file of files) {
      const target = join(root, file === process.execPath ? "/usr/bin/node" : file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
    mkdirSync(join(root, "app"), { recursive: true });
    // As in every real image: the engine copies this mode onto the tmpfs mounted over /tmp.
    mkdirSync(join(root, "tmp"), { recursive: true });
    chmodSync(join(root, "tmp"), 0o1777);
    copyFileSync(SERVER, join(root, "app", "server.js"));
    writeFileSync(join(root, "app", "package.json"), '{ "type": "module" }\n');
    const [repo, version] = tag.split(":");
    const tar = spawn("tar", ["-C", root, "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const progress = await engine.importImage(tar.stdout, { repo, tag: version });
    await new Promise<void>((resolve, reject) => {
      engine.modem.followProgress(progress, (error: Error | null) => {
        if (error === null) resolve();
        else reject(error);
      });
    });
    await engine.getImage(tag).inspect();
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
