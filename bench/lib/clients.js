// SDK clients for both sides of every comparison: a provider spawned by the client itself
// (direct) and the built hangar spawned by the client (hangar). Every process started here is
// tracked, so closeAll() leaves nothing behind whatever happened.
import process from "node:process";
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { z } from "zod";
import { isRunning, waitUntil } from "./procs.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The hangar under test: this checkout's build, or another build named by BENCH_HANGAR_JS. */
export const MAIN_JS = resolve(process.env.BENCH_HANGAR_JS ?? join(REPO_ROOT, "dist", "main.js"));
const FIXTURE_JS = join(REPO_ROOT, "test", "fixtures", "echo-server.js");
const PROBE_JS = join(REPO_ROOT, "bench", "lib", "hangar-probe.js");
const RELAY_JS = join(REPO_ROOT, "bench", "lib", "relay.js");
const EVERYTHING_JS = join(REPO_ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

/**
 * The two providers. `tag` ends up as an exact `--marker=<run marker>:<tag>` argument, so a
 * process can be found again (and counted) by the part of a scenario that caused it.
 */
export const PROVIDERS = {
  everything: {
    argv: (tag) => [process.execPath, EVERYTHING_JS, "stdio", tag],
    tool: "echo",
    args: { message: "hello" },
    expect: "Echo: hello",
    tools: [{ name: "echo", description: "Echoes back the input string", inputSchema: schema({ message: "string" }) }],
  },
  fixture: {
    argv: (tag) => [process.execPath, FIXTURE_JS, tag],
    tool: "echo",
    args: { text: "hello" },
    expect: "hello",
    tools: [
      { name: "echo", description: "Returns its text", inputSchema: schema({ text: "string" }) },
      { name: "add", description: "a + b", inputSchema: schema({ a: "number", b: "number" }), annotations: { readOnlyHint: true } },
      { name: "pid", description: "Returns the server's pid", inputSchema: { type: "object" } },
    ],
  },
};

function schema(fields) {
  const properties = Object.fromEntries(Object.entries(fields).map(([name, type]) => [name, { type }]));
  return { type: "object", properties, required: Object.keys(fields) };
}

/** The argument that tags a process of this run. */
export function tagArg(marker, tag) {
  return `--marker=${marker}:${tag}`;
}

/** A hangar config entry for a provider kind (JSON is YAML), with the default timings unless `extra` says otherwise. */
export function providerEntry(kind, marker, tag, extra = {}) {
  return { command: PROVIDERS[kind].argv(tagArg(marker, tag)), ...extra };
}

/**
 * Writes a hangar config; BENCH_CONFIG_EXTRA (a JSON object) adds top-level keys, e.g.
 * '{"audit":{"enabled":false}}', and so does `topLevel` (a scenario's own, which win).
 */
export function writeConfig(dir, name, providers, topLevel = {}) {
  const path = join(dir, `${name}.yaml`);
  const extra = process.env.BENCH_CONFIG_EXTRA === undefined ? {} : JSON.parse(process.env.BENCH_CONFIG_EXTRA);
  writeFileSync(path, JSON.stringify({ providers, ...extra, ...topLevel }, null, 1));
  return path;
}

/** Accepts the result exactly as sent: no SDK re-parsing on the bench side, for either path. */
const rawResult = z.custom((value) => typeof value === "object" && value !== null);

export function callTool(client, name, args) {
  return client.request({ method: "tools/call", params: { name, arguments: args } }, rawResult, { timeout: 60_000 });
}

export function listTools(client) {
  return client.request({ method: "tools/list" }, rawResult);
}

export function textOf(result) {
  return (result.content ?? []).map((item) => (item.type === "text" ? item.text : "")).join("\n");
}

const open = new Set();

async function connect(transport, name, describe) {
  const client = new Client({ name, version: "1.0.0" }, { capabilities: {} });
  const stderr = [];
  let stderrBytes = 0;
  // Drained continuously (a full pipe would stall the child); only the last ~64 KB is kept.
  transport.stderr?.on("data", (chunk) => {
    stderr.push(chunk);
    stderrBytes += chunk.length;
    while (stderrBytes > 65_536 && stderr.length > 1) stderrBytes -= stderr.shift().length;
  });
  const stderrText = () => Buffer.concat(stderr).toString("utf8");
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw new Error(`could not connect to ${describe}: ${String(error)}\n${stderrText()}`);
  }
  const pid = transport.pid;
  const handle = { client, pid, stderr: stderrText, close: undefined };
  let closing;
  handle.close = (how) => {
    closing ??= (async () => {
      if (how === "SIGTERM" && pid !== null && isRunning(pid)) process.kill(pid, "SIGTERM");
      await client.close();
      if (pid !== null) await waitUntil(() => !isRunning(pid), 10_000, `${describe} (pid ${pid}) to exit`);
      open.delete(handle);
    })();
    return closing;
  };
  open.add(handle);
  return handle;
}

/** Spawns a provider and connects straight to it (spawn + initialize). */
export function connectDirect(argv) {
  const [command, ...args] = argv;
  const transport = new StdioClientTransport({ command, args, stderr: "pipe" });
  return connect(transport, "bench-direct", argv.join(" ")).then((handle) => ({
    ...handle,
    // Servers need not exit on stdin EOF; SIGTERM spares the SDK's 2 s close grace.
    close: () => handle.close("SIGTERM"),
  }));
}

/** The provider behind a byte relay (bench/lib/relay.js): the cost of the extra hop alone. */
export function connectRelay(argv) {
  return connectDirect([process.execPath, RELAY_JS, ...argv]);
}

/**
 * Spawns `node [nodeArgs] dist/main.js --config FILE --log-level warn` and connects (initialize).
 * `marker` goes into the hangar's environment so a leftover hangar can be found. With
 * `probeDir`, the hangar is preloaded with bench/lib/hangar-probe.js (see procs.probeMemory).
 * `stateDir` is its MCP_HANGAR_STATE_DIR: the run's own audit trail and process-group records,
 * so every run starts from an empty audit file and none grows the user's own.
 */
export function connectHangar(configPath, { marker, nodeArgs = [], probeDir, stateDir }) {
  const probe = probeDir === undefined ? [] : ["--expose-gc", "--import", pathToFileURL(PROBE_JS).href];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...probe, ...nodeArgs, MAIN_JS, "--config", configPath, "--log-level", "warn"],
    env: {
      BENCH_MARKER: marker,
      ...(probeDir === undefined ? {} : { BENCH_PROBE_DIR: probeDir }),
      ...(stateDir === undefined ? {} : { MCP_HANGAR_STATE_DIR: stateDir }),
    },
    cwd: dirname(configPath),
    stderr: "pipe",
  });
  // Closing = stdin EOF: the hangar shuts down gracefully and takes its providers with it.
  return connect(transport, "bench-hangar", `hangar ${configPath}`).then((handle) => ({ ...handle, close: () => handle.close() }));
}

/** Closes whatever is still open (after an error, or a scenario that forgot). */
export async function closeAll() {
  await Promise.allSettled([...open].map((handle) => handle.close("SIGTERM")));
}
