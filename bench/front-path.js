// CPU per call of the front end and the actor path together, in-process: a tools/call line goes
// into the stdio front end's transport (StdioServerLineTransport on in-memory streams), through
// the MCP server session and its tools/call route, HangarRuntime.invoke and the provider actor to
// a fake connection that answers at once, and the answer is written back as a line. No pipes, no
// provider process: `node bench/front-path.js [calls]` minus `node bench/actor-path.js [calls]`
// is what the front end costs per call. (BENCH_HANGAR_JS for another build.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process, { nextTick } from "node:process";
import { PassThrough, Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { fromCallback } from "xstate";
import { MAIN_JS } from "./lib/clients.js";
import { median } from "./lib/stats.js";

const CALLS = Number(process.argv[2] ?? 50_000);
const ROUNDS = 5;
const dist = (path) => import(pathToFileURL(resolve(dirname(MAIN_JS), path)).href);
const { HangarRuntime } = await dist("runtime/hangar-runtime.js");
const { loadConfig } = await dist("config/load.js");
const { configureLog, log } = await dist("observability/log.js");
const { logDomainEvents } = await dist("observability/log-observer.js");
const { ToolCatalogue } = await dist("transports/tool-catalogue.js");
const { createHangarServer } = await dist("transports/mcp-server.js");
const transportModule = await dist("transports/stdio-server-transport.js").catch(() => undefined);
const metrics = await dist("observability/metrics.js").catch(() => undefined);

const dir = mkdtempSync(join(tmpdir(), "hangar-front-path-"));
const configPath = join(dir, "hangar.yaml");
const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
writeFileSync(configPath, JSON.stringify({ providers: { p: { command: ["node", "never-started.js"], tools } } }));
const config = loadConfig(configPath);
rmSync(dir, { recursive: true, force: true });

const result = { content: [{ type: "text", text: "hello" }] };
const connection = fromCallback(({ sendBack, receive }) => {
  nextTick(() => {
    sendBack({ type: "CONNECTION.READY", tools, pid: undefined, serverInfo: undefined, protocolVersion: undefined });
  });
  receive((event) => {
    if (event.type !== "CALL") return;
    const { call } = event;
    nextTick(() => {
      call.reply({ status: "result", kind: "ok", result });
      sendBack({ type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 });
    });
  });
});

configureLog({ level: "warn" });
const runtime = new HangarRuntime(config, { connection, healthProbe: fromCallback(() => undefined) });
logDomainEvents(runtime.events, log);
metrics?.createMetrics?.(runtime.events, runtime);
runtime.start();
const catalogue = new ToolCatalogue(runtime);
const server = createHangarServer(runtime, catalogue, config.expose);

// The client's side of the pipes, in memory: lines in, answers counted as they are written.
const stdin = new PassThrough();
let answered = 0;
let wake;
const stdout = new Writable({
  write(chunk, _encoding, callback) {
    answered += 1;
    wake?.();
    callback();
  },
});
const transport =
  transportModule === undefined
    ? new (await import("@modelcontextprotocol/sdk/server/stdio.js")).StdioServerTransport(stdin, stdout)
    : new transportModule.StdioServerLineTransport(stdin, stdout);
await server.connect(transport);
const send = (message) => stdin.write(`${JSON.stringify(message)}\n`);
send({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "front-path", version: "1" } } });
send({ jsonrpc: "2.0", method: "notifications/initialized" });
await runtime.invoke("p", "echo", { text: "warm" }); // the provider goes READY

const run = async (count) => {
  for (let i = 0; i < count; i++) {
    const done = new Promise((resolveAnswer) => {
      wake = resolveAnswer;
    });
    stdin.write(`{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"p__echo","arguments":{"text":"hello"}}}\n`);
    await done;
  }
};
await run(CALLS); // warm-up: JIT
const perCall = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  await run(CALLS);
  const used = process.cpuUsage(before);
  perCall.push((used.user + used.system) / CALLS);
}
process.stdout.write(`${MAIN_JS}: front end + actor path ${median(perCall).toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS}; ${answered} answers)\n`);
await runtime.shutdown();
process.exit(0);
