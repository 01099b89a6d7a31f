// Where the main thread's time goes on one sequential tools/call, in-process and without I/O:
// the stdio front end's transport (a line handed to it as one chunk), the MCP server's route,
// HangarRuntime, the provider actor, to a fake connection, and back. Three segments, per call
// (medians of wall time; all of it is this thread's CPU, nothing waits):
//   in:    the client's chunk arrives -> the connection is handed the call (where a real
//          connection writes to the provider: all of it is on the call's critical path),
//   out:   the provider's answer reaches the connection -> the answer line is written to the client,
//   after: that write -> the tick's work done (bookkeeping that overlaps the client's read).
// `npm run build && node bench/critical-path.js [calls]` (default 20000; BENCH_HANGAR_JS for another build).
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { setImmediate, setTimeout } from "node:timers";
import { Writable } from "node:stream";
import { fromCallback } from "xstate";
import { MAIN_JS } from "./lib/clients.js";
import { dist, instantConfig, settleOk } from "./lib/instant-runtime.js";
import { median } from "./lib/stats.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
const config = await instantConfig(tools);
const { HangarRuntime } = await dist("runtime/hangar-runtime.js");
const { configureLog, log } = await dist("observability/log.js");
const { logDomainEvents } = await dist("observability/log-observer.js");
const metrics = await dist("observability/metrics.js").catch(() => undefined);
const { ToolCatalogue } = await dist("transports/tool-catalogue.js");
const { createHangarServer } = await dist("transports/mcp-server.js");
const { StdioServerLineTransport } = await dist("transports/stdio-server-transport.js");
const Outbox = (await dist("actors/connection-outbox.js").catch(() => undefined))?.ConnectionOutbox;

let tIn = 0;
let tCall = 0;
let tAnswer = 0;
let tWritten = 0;
let pending;
const result = { content: [{ type: "text", text: "hello" }] };
const connection = fromCallback(({ sendBack, receive }) => {
  setImmediate(() => sendBack({ type: "CONNECTION.READY", tools, pid: undefined, serverInfo: undefined, protocolVersion: undefined }));
  const outbox = Outbox === undefined ? undefined : new Outbox(sendBack);
  receive((event) => {
    if (event.type !== "CALL") return;
    tCall = performance.now();
    pending = event.call;
  });
  // The provider's answer, as a real connection settles it (in a later turn: see answerPending).
  answerPending = () => {
    const call = pending;
    pending = undefined;
    tAnswer = performance.now();
    settleOk(call, result, sendBack, outbox);
  };
});
let answerPending;

configureLog({ level: "warn" });
const runtime = new HangarRuntime(config, { connection, healthProbe: fromCallback(() => undefined) });
logDomainEvents(runtime.events, log);
metrics?.createMetrics?.(runtime.events, runtime);
runtime.start();
const server = createHangarServer(runtime, new ToolCatalogue(runtime), config.expose);
const stdin = new EventEmitter();
stdin.pause = () => stdin;
let wake;
const stdout = new Writable({
  write(_chunk, _encoding, callback) {
    tWritten = performance.now();
    wake?.();
    callback();
  },
});
await server.connect(new StdioServerLineTransport(stdin, stdout));
const line = (message) => Buffer.from(`${JSON.stringify(message)}\n`);
stdin.emit("data", line({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "critical-path", version: "1" } } }));
stdin.emit("data", line({ jsonrpc: "2.0", method: "notifications/initialized" }));
const warm = runtime.invoke("p", "echo", { text: "warm" }); // the provider goes READY
while (pending === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
answerPending();
await warm;

const turn = () => new Promise((resolve) => setImmediate(resolve));
const segments = { in: [], out: [], after: [], total: [] };
const run = async (count, record) => {
  for (let i = 0; i < count; i++) {
    const chunk = Buffer.from(`{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"p__echo","arguments":{"text":"hello"}}}\n`);
    tIn = performance.now();
    stdin.emit("data", chunk);
    await turn(); // the tick's microtasks have run: the call reached the connection
    if (pending === undefined) throw new Error("the call did not reach the connection");
    const inDone = performance.now();
    const answered = new Promise((resolve) => {
      wake = resolve;
    });
    const cpuBefore = process.cpuUsage();
    answerPending();
    await turn();
    const cpu = process.cpuUsage(cpuBefore);
    await answered;
    if (record) {
      segments.in.push((tCall - tIn) * 1000);
      segments.out.push((tWritten - tAnswer) * 1000);
      segments.after.push(cpu.user + cpu.system - (tWritten - tAnswer) * 1000);
      segments.total.push((inDone - tIn) * 1000);
    }
  }
};
await run(CALLS, false);
await run(CALLS, true);
const f = (values) => median(values).toFixed(1);
process.stdout.write(
  `${MAIN_JS}: in ${f(segments.in)} µs (chunk -> connection), out ${f(segments.out)} µs (answer -> client write), after ~${f(segments.after)} µs (cpu of the answer's turn after the write), chunk's turn ${f(segments.total)} µs (medians of ${CALLS})\n`,
);
await runtime.shutdown();
process.exit(0);
