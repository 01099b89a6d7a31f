// CPU and bytes allocated per tools/list of the stdio front end, in-process: the scale scenario's
// catalogue (200 COLD providers with the fixture's three predefined tools each, plus the registry
// tools: 618 tools, ≈ 150 KB of JSON), a tools/list line into the front end's transport
// (StdioServerLineTransport on in-memory streams), through the MCP server session, and the answer
// written back as a line. No pipes, no client parsing: what the hangar spends per list.
// `npm run build && node bench/list-path.js [lists]` (default 2000); BENCH_HANGAR_JS for another
// build (A/B); BENCH_HEAP_PROFILE=FILE for the allocations by function (`node bench/heap-top.js FILE`).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { PassThrough, Writable } from "node:stream";
import { fromCallback } from "xstate";
import { MAIN_JS, PROVIDERS } from "./lib/clients.js";
import { bytesPerCall, heapProfile } from "./lib/allocation.js";
import { cpuPerCall, dist } from "./lib/instant-runtime.js";

const LISTS = Number(process.argv[2] ?? 2_000);
const ROUNDS = 5;
const PROVIDER_COUNT = 200;

const { loadConfig } = await dist("config/load.js");
const { HangarRuntime } = await dist("runtime/hangar-runtime.js");
const { configureLog } = await dist("observability/log.js");
const { ToolCatalogue } = await dist("transports/tool-catalogue.js");
const { createHangarServer } = await dist("transports/mcp-server.js");
const { StdioServerLineTransport } = await dist("transports/stdio-server-transport.js");

const dir = mkdtempSync(join(tmpdir(), "hangar-list-path-"));
const configPath = join(dir, "hangar.yaml");
const providers = Object.fromEntries(
  Array.from({ length: PROVIDER_COUNT }, (_, i) => [`p${String(i).padStart(3, "0")}`, { command: ["node", "never-started.js"], tools: PROVIDERS.fixture.tools }]),
);
writeFileSync(configPath, JSON.stringify({ providers }));
const config = loadConfig(configPath);
rmSync(dir, { recursive: true, force: true });
configureLog({ level: "warn" });
// Every provider stays COLD: listing never starts one.
const runtime = new HangarRuntime(config, { connection: fromCallback(() => undefined), healthProbe: fromCallback(() => undefined) }).start();
const server = createHangarServer(runtime, new ToolCatalogue(runtime), config.expose);

const stdin = new PassThrough();
let answered = 0;
let lineBytes = 0;
let answerBytes = 0;
let wake;
// An answer may come in several chunks (a cached one does: its head, its result's bytes, its tail); it ends with its newline.
const stdout = new Writable({
  write(chunk, _encoding, callback) {
    lineBytes += chunk.length;
    if (chunk[chunk.length - 1] === 0x0a) {
      answered += 1;
      answerBytes = lineBytes;
      lineBytes = 0;
      wake?.();
    }
    callback();
  },
});
await server.connect(new StdioServerLineTransport(stdin, stdout));
const answer = () =>
  new Promise((resolve) => {
    wake = resolve;
  });
let waiting = answer();
stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "list-path", version: "1" } } })}\n`);
await waiting;
stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);

const run = async (count) => {
  for (let i = 0; i < count; i++) {
    const done = answer();
    stdin.write(`{"jsonrpc":"2.0","id":${i},"method":"tools/list"}\n`);
    await done;
  }
};
await run(1);
const perList = await cpuPerCall(run, LISTS, ROUNDS);
process.stdout.write(`${MAIN_JS}: tools/list of ${PROVIDER_COUNT} COLD providers (${(answerBytes / 1024).toFixed(0)} KB): ${perList.toFixed(1)} µs of CPU per list (median of ${ROUNDS} × ${LISTS}; ${answered} answers)\n`);
const bytes = await bytesPerCall(run, LISTS, ROUNDS);
process.stdout.write(`${MAIN_JS}: tools/list: ${(bytes / 1024).toFixed(1)} KB allocated per list on the V8 heap (median of ${ROUNDS} × ${LISTS})\n`);
await heapProfile(run, LISTS);
await runtime.shutdown();
process.exit(0);
