// CPU per call of the HTTP front end and the actor path together, in-process: the built hangar's
// HTTP server (startHttpServer, on loopback) in front of a HangarRuntime whose provider answers at
// once (bench/lib/instant-runtime.js); a client in a child process (bench/lib/http-front-client.js)
// sends tools/call POSTs one after another over one keep-alive connection with the SDK client's
// headers. Only this process's CPU is counted, so `node bench/http-front-path.js [calls]` minus
// `node bench/actor-path.js [calls]` is what the HTTP front end costs per call (node:http
// included), and minus `node bench/front-path.js` what it costs beyond the stdio front end.
import process from "node:process";
import { fork } from "node:child_process";
import { fileURLToPath, URL } from "node:url";
import { MAIN_JS } from "./lib/clients.js";
import { cpuPerCall, dist, startInstantRuntime } from "./lib/instant-runtime.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const ROUNDS = 5;
const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
const { runtime, config } = await startInstantRuntime(tools);
const { ToolCatalogue } = await dist("transports/tool-catalogue.js");
const { startHttpServer } = await dist("transports/http/server.js");
const { log } = await dist("observability/log.js");
await runtime.invoke("p", "echo", { text: "warm" }); // the provider goes READY

const server = await startHttpServer({
  runtime,
  catalogue: new ToolCatalogue(runtime),
  expose: config.expose,
  host: "127.0.0.1",
  port: 0,
  sessionIdleS: 600,
  maxBodyBytes: 4 * 1024 * 1024,
  allowedHosts: [],
  allowedOrigins: [],
  authenticator: undefined,
  metricsAuth: false,
  log,
});

const client = fork(fileURLToPath(new URL("./lib/http-front-client.js", import.meta.url)), [`${server.url}/mcp`]);
const messages = [];
let wake;
client.on("message", (message) => {
  messages.push(message);
  wake?.();
});
const nextMessage = async () => {
  while (messages.length === 0) await new Promise((resolve) => (wake = resolve));
  return messages.shift();
};
await nextMessage(); // ready: the session is open

let failures = 0;
let system = 0;
const run = async (calls) => {
  const before = process.cpuUsage();
  client.send({ calls });
  const done = await nextMessage();
  system += process.cpuUsage(before).system;
  failures += done.failures;
};
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
// The kernel's share (loopback TCP, epoll) of all rounds, warm-up included: what no JS change touches.
const systemPerCall = system / ((ROUNDS + 1) * CALLS);
process.stdout.write(
  `${MAIN_JS}: HTTP front end + actor path ${perCall.toFixed(1)} µs of CPU per call, ${systemPerCall.toFixed(1)} µs of it in the kernel ` +
    `(median of ${ROUNDS} × ${CALLS}; ${failures} failures)\n`,
);
client.kill();
await server.close();
await runtime.shutdown();
process.exit(0);
