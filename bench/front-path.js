// CPU per call of the front end and the actor path together, in-process: a tools/call line goes
// into the stdio front end's transport (StdioServerLineTransport on in-memory streams), through
// the MCP server session and its tools/call route, HangarRuntime.invoke and the provider actor to
// a fake connection that answers at once, and the answer is written back as a line. No pipes, no
// provider process: `node bench/front-path.js [calls]` minus `node bench/actor-path.js [calls]`
// is what the front end costs per call. `[calls] [callers]`: with callers, that many lines a chunk. (BENCH_HANGAR_JS for another build; a build from before
// the front end's own transport is measured with the SDK's StdioServerTransport.) FRONT_PATH_TOOL=registry_invoke
// makes the same calls through registry_invoke instead of the flat name.
import process from "node:process";
import { PassThrough, Writable } from "node:stream";
import { MAIN_JS } from "./lib/clients.js";
import { bytesPerCall, heapProfile } from "./lib/allocation.js";
import { cpuPerCall, dist, startInstantRuntime } from "./lib/instant-runtime.js";

const CALLS = Number(process.argv[2] ?? 50_000);
// With callers > 1 the client sends that many tools/call lines in one chunk and waits for all
// their answers (as one pipe read under concurrency would bring them), then the next chunk.
const CALLERS = Number(process.argv[3] ?? 1);
const ROUNDS = 5;
const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
const { runtime, config } = await startInstantRuntime(tools);
const { ToolCatalogue } = await dist("transports/tool-catalogue.js");
const { createHangarServer } = await dist("transports/mcp-server.js");
const ownTransport = await dist("transports/stdio-server-transport.js").catch(() => undefined);
const server = createHangarServer(runtime, new ToolCatalogue(runtime), config.expose);

// The client's side of the pipes, in memory: lines in, answers counted as they are written.
const stdin = new PassThrough();
let answered = 0;
let wake;
const stdout = new Writable({
  write(_chunk, _encoding, callback) {
    answered += 1;
    wake?.();
    callback();
  },
});
const transport =
  ownTransport === undefined
    ? new (await import("@modelcontextprotocol/sdk/server/stdio.js")).StdioServerTransport(stdin, stdout)
    : new ownTransport.StdioServerLineTransport(stdin, stdout);
await server.connect(transport);
const send = (message) => stdin.write(`${JSON.stringify(message)}\n`);
send({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "front-path", version: "1" } } });
send({ jsonrpc: "2.0", method: "notifications/initialized" });
await runtime.invoke("p", "echo", { text: "warm" }); // the provider goes READY

const viaInvoke = process.env.FRONT_PATH_TOOL === "registry_invoke";
const line = viaInvoke
  ? (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"registry_invoke","arguments":{"provider":"p","tool":"echo","arguments":{"text":"hello"}}}}\n`
  : (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"p__echo","arguments":{"text":"hello"}}}\n`;
const run = async (count) => {
  for (let i = 0; i < count; i += CALLERS) {
    const until = answered + CALLERS;
    const done = new Promise((resolveAnswer) => {
      wake = () => {
        if (answered >= until) resolveAnswer();
      };
    });
    let chunk = "";
    for (let k = 0; k < CALLERS; k++) chunk += line(i + k);
    stdin.write(chunk);
    await done;
  }
};
const callers = CALLERS === 1 ? "" : `, ${CALLERS} lines a chunk`;
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
process.stdout.write(`${MAIN_JS}: front end + actor path ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS}${callers}; ${answered} answers)\n`);
const bytes = await bytesPerCall(run, CALLS, ROUNDS);
process.stdout.write(`${MAIN_JS}: front end + actor path ${(bytes / 1024).toFixed(1)} KB allocated per call (median of ${ROUNDS} × ${CALLS}${callers})\n`);
await heapProfile(run, CALLS);
await runtime.shutdown();
process.exit(0);
