import { spawn } from "node:child_process";
import { fromCallback } from "xstate";
import { HangarRuntime } from "./dist/runtime/hangar-runtime.js";
import { startInspector } from "./dist/observability/inspector/start.js";
import { configureLog } from "./dist/observability/log.js";
configureLog({ sink: () => undefined });
const conn = fromCallback(({ sendBack, receive }) => {
  queueMicrotask(() => sendBack({ type: "CONNECTION.READY", tools: [], pid: 1, serverInfo: undefined, protocolVersion: undefined }));
  receive((e) => {
    if (e.type !== "CALL") return;
    e.call.reply({ status: "result", kind: "ok", result: { content: [{ type: "text", text: "x" }] } });
    sendBack({ type: "CALL.DONE", correlationId: e.call.correlationId, tool: e.call.tool, kind: "ok", durationMs: 0 });
  });
});
const spec = { id: "p", mode: "subprocess", command: ["node", "x.js"], env: { API_KEY: "sk-live-1234567890" }, inheritEnv: false, cwd: "/tmp", idleTtlS: 300, healthCheckIntervalS: 300, maxConsecutiveFailures: 3, healthyThreshold: 1, circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30, halfOpenMaxCalls: 1 }, restart: { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 }, startupTimeoutS: 30, callTimeoutS: 30, maxCallS: 600, maxMessageBytes: 16777216, shutdownGraceS: 5, tools: [{ name: "add", inputSchema: { type: "object", properties: { a: { type: "number" } } } }], warm: false };
const nolog = { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } };
const inspector = await startInspector({ port: 0, includeArguments: false }, nolog);
const tick = () => new Promise((r) => setImmediate(r));
async function run(inspect, n) {
  const rt = new HangarRuntime({ source: "b", expose: "both", providers: [spec] }, { connection: conn, ...(inspect ? { inspect } : {}) }).start();
  await rt.invoke("p", "add", { a: 1 });
  await tick(); await tick();
  const c0 = process.cpuUsage(); const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) { await rt.invoke("p", "add", { a: i }); await tick(); }
  await tick();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  const c = process.cpuUsage(c0); const cpu = (c.user + c.system) / n;
  await rt.shutdown();
  return [us, cpu];
}
const N = 10000;
const res = { none: [], idle: [], watched: [] };
for (let r = 0; r < 2; r++) { await run(undefined, 2000); await run(inspector.inspect, 2000); }
for (let r = 0; r < 5; r++) { res.none.push(await run(undefined, N)); res.idle.push(await run(inspector.inspect, N)); }
const viewer = spawn(process.execPath, ["-e", `const {WebSocket}=require("ws");let n=0,b=0;const w=new WebSocket(process.argv[1],{origin:process.argv[2]});w.on("open",()=>process.stdout.write("open\\n"));w.on("message",(d)=>{n++;b+=d.length});process.on("SIGTERM",()=>{process.stderr.write("viewer got "+n+" msgs "+b+" bytes\\n");process.exit(0)})`, inspector.url.replace("http", "ws"), inspector.url.replace(/\/$/, "")], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise((r) => viewer.stdout.once("data", r));
for (let r = 0; r < 5; r++) { res.watched.push(await run(inspector.inspect, N)); res.none.push(await run(undefined, N)); }
const med = (a, i) => a.map((x) => x[i]).sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const [k, v] of Object.entries(res)) console.error(k.padEnd(8), "wall µs/call", med(v, 0).toFixed(1), " cpu µs/call", med(v, 1).toFixed(1), " runs", v.map((x) => x[0].toFixed(0)).join(","));
viewer.kill("SIGTERM");
await new Promise((r) => viewer.once("exit", r));
await inspector.close();
