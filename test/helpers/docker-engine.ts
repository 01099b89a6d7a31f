import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { REPO_ROOT } from "./cli.js";

/**
 * The real Docker engine for the discovery tests (started by .ci/run). Containers run an
 * imported image holding nothing: the host's node and libraries and this repository are mounted
 * read-only, so the MCP server inside is the very fixture the other tests use, and nothing is
 * pulled from a registry.
 */
export const TEST_IMAGE = "mcp-hangar-discovery-test:empty";

export function dockerAvailable(): boolean {
  if (!existsSync("/var/run/docker.sock") && process.env.DOCKER_HOST === undefined) return false;
  return spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore" }).status === 0;
}

export function ensureTestImage(): void {
  if (spawnSync("docker", ["image", "inspect", TEST_IMAGE], { stdio: "ignore" }).status === 0) return;
  // An empty tar archive: 1024 zero bytes.
  execFileSync("docker", ["import", "-", TEST_IMAGE], { input: Buffer.alloc(1024), stdio: ["pipe", "ignore", "inherit"] });
}

export interface ContainerOptions {
  name: string;
  labels: Record<string, string>;
  /** Container port published on 127.0.0.1 (a free host port). */
  publish?: number;
  env?: Record<string, string>;
  argv: string[];
}

/**
 * A label unique to one test file's run, for its containers and its hangar's Docker source
 * (`labels`): the Docker test files run in parallel on one engine, and without it each one's
 * hangar would discover the others' containers.
 */
export function testScope(): Record<string, string> {
  return { "mcp-hangar.test.scope": randomUUID() };
}

/** `docker run -d` with the host's node and the repository mounted read-only; returns the id. */
export function runContainer(options: ContainerOptions): string {
  const args = ["run", "-d", "--name", options.name];
  for (const [key, value] of Object.entries(options.labels)) args.push("--label", `${key}=${value}`);
  if (options.publish !== undefined) args.push("-p", `127.0.0.1::${options.publish}`);
  for (const [key, value] of Object.entries(options.env ?? {})) args.push("-e", `${key}=${value}`);
  for (const dir of ["/usr", "/lib", "/lib64"]) if (existsSync(dir)) args.push("-v", `${dir}:${dir}:ro`);
  args.push("-v", `${REPO_ROOT}:/repo:ro`, TEST_IMAGE, process.execPath, ...options.argv);
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" }).trim();
}

/** Removes containers by name, whatever their state (test cleanup). */
export function removeContainers(names: string[]): void {
  if (names.length > 0) spawnSync("docker", ["rm", "-f", ...names], { stdio: "ignore" });
}

/**
 * A container labelled as provider `provider` (plus `extraLabels`), running server-everything
 * over streamable HTTP on port 3001, published on 127.0.0.1; returns its name.
 */
export function runMcpContainer(provider: string, extraLabels: Record<string, string> = {}): string {
  const name = `hangar-discovery-${provider}-${randomUUID().slice(0, 8)}`;
  runContainer({
    name,
    labels: {
      "mcp.hangar.enabled": "true",
      "mcp.hangar.name": provider,
      "mcp.hangar.mode": "http",
      "mcp.hangar.port": "3001",
      "mcp.hangar.path": "/mcp",
      ...extraLabels,
    },
    publish: 3001,
    env: { PORT: "3001" },
    argv: ["/repo/node_modules/@modelcontextprotocol/server-everything/dist/index.js", "streamableHttp"],
  });
  return name;
}

/** The MCP endpoint of a container from runMcpContainer, at its published port. */
export function mcpUrlOf(container: string): string {
  return `http://${docker("port", container, "3001/tcp").split("\n")[0]?.trim() ?? ""}/mcp`;
}

/** Whether an HTTP server answers at `url` (any status): the server in a container listens once it does. */
export async function answersHttp(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: "GET", signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
