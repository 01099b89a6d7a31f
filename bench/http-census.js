// Server and client CPU per call at 16 concurrent callers over streamable HTTP, by server and by
// client: the built hangar (fixture provider), mcp-proxy (the same provider) and a null node:http
// MCP server (bench/lib/null-mcp-server.js: no provider, answers at once), each driven by the
// bench's SDK client (one Client, 16 calls in flight, as scenario 3) and by the light client
// (16 sessions of plain keep-alive POSTs). Variants alternate round by round; the medians close.
//   node bench/http-census.js                       hangar, mcp-proxy and the null server
//   BENCH_CENSUS_SERVERS=hangar,null BENCH_CENSUS_CLIENTS=sdk node bench/http-census.js
//   BENCH_CENSUS_B_JS=/other/dist/main.js …         a second hangar build beside the first (A/B)
//   BENCH_CENSUS_CALLS=4000 BENCH_CENSUS_ROUNDS=4   calls per variant and round, rounds
// Server CPU comes from /proc (all threads, and the main thread alone), the clients' from this
// process; on a shared machine compare the columns of one run, not runs.
import process from "node:process";
import { spawn } from "node:child_process";
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, URL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { callTool, PROVIDERS, providerEntry, tagArg, writeConfig } from "./lib/clients.js";
import { connectHttpHangar, connectMcpProxy } from "./lib/http-front.js";
import { openLightCallers } from "./lib/light-http.js";
import { concurrent } from "./lib/load.js";
import { median } from "./lib/stats.js";

const CALLERS = 16;
const servers = (process.env.BENCH_CENSUS_SERVERS ?? "hangar,proxy,null").split(",");
const clients = (process.env.BENCH_CENSUS_CLIENTS ?? "sdk,light").split(",");
const calls = Number(process.env.BENCH_CENSUS_CALLS ?? 4_000);
const rounds = Number(process.env.BENCH_CENSUS_ROUNDS ?? 4);
const marker = `http-census-${process.pid}`;
const provider = PROVIDERS.fixture;
const dir = mkdtempSync(join(tmpdir(), "http-census-"));

/** The null server on a free-ish port, with an SDK client connected. */
async function startNullServer() {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [fileURLToPath(new URL("./lib/null-mcp-server.js", import.meta.url)), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    child.stdout.once("data", resolve);
    child.once("exit", (code) => reject(new Error(`the null server exited (${code})`)));
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  const client = new Client({ name: "bench-http-census", version: "1.0.0" }, { capabilities: {} });
  // As bench/lib/http-front.js: the SDK hands one AbortSignal to every fetch.
  const fetchWithoutListenerLimit = (target, init) => {
    if (init?.signal) setMaxListeners(0, init.signal);
    return globalThis.fetch(target, init);
  };
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchWithoutListenerLimit }));
  return {
    client,
    url,
    pid: child.pid,
    close: async () => {
      await client.close().catch(() => undefined);
      child.kill();
    },
  };
}

const started = {};
try {
  const configPath = writeConfig(dir, "census", { fixture: { ...providerEntry("fixture", marker, "hangar"), tools: provider.tools } });
  if (servers.includes("hangar")) started.hangar = await connectHttpHangar(configPath, { marker, stateDir: dir });
  if (process.env.BENCH_CENSUS_B_JS) started["hangar B"] = await connectHttpHangar(configPath, { marker, stateDir: join(dir, "b"), mainJs: process.env.BENCH_CENSUS_B_JS });
  if (servers.includes("proxy")) started["mcp-proxy"] = await connectMcpProxy(provider.argv(tagArg(marker, "proxy")), { marker });
  if (servers.includes("null")) started.null = await startNullServer();

  const variants = {};
  const light = [];
  for (const [name, server] of Object.entries(started)) {
    const tool = name.startsWith("hangar") ? `fixture__${provider.tool}` : provider.tool;
    if (clients.includes("sdk")) variants[`${name}, SDK client`] = { pid: server.pid, call: () => callTool(server.client, tool, provider.args) };
    if (clients.includes("light")) {
      const callers = await openLightCallers(server.url, CALLERS, tool, provider.args);
      light.push(callers);
      variants[`${name}, light client`] = { pid: server.pid, call: callers.call };
    }
  }
  const names = Object.keys(variants);
  for (const name of names) await concurrent(variants[name].call, Math.min(calls, 1_000), CALLERS, variants[name].pid); // warm-up (JIT)
  const results = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const run = await concurrent(variants[name].call, calls, CALLERS, variants[name].pid);
      results[name].push(run);
      process.stderr.write(
        `round ${round + 1}, ${name}: server ${run.cpuUs.toFixed(0)} µs (main thread ${run.mainCpuUs.toFixed(0)}), client ${run.clientCpuUs.toFixed(0)} µs, ${run.rate.toFixed(0)} calls/s, ${run.errors} errors\n`,
      );
    }
  }
  const pick = (name, key) => median(results[name].map((run) => run[key]));
  process.stdout.write(`| ${CALLERS} callers, fixture, medians of ${rounds} × ${calls} | server CPU per call (main thread) | client CPU per call | calls/s |\n|---|---:|---:|---:|\n`);
  for (const name of names) {
    process.stdout.write(`| ${name} | ${pick(name, "cpuUs").toFixed(0)} (${pick(name, "mainCpuUs").toFixed(0)}) µs | ${pick(name, "clientCpuUs").toFixed(0)} µs | ${pick(name, "rate").toFixed(0)} |\n`);
  }
  await Promise.all(light.map((callers) => callers.close()));
} finally {
  for (const server of Object.values(started)) await server.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
