// CPU per call of the in-process actor path, without I/O: HangarRuntime.invoke → supervisor →
// provider → connection (a fake that answers at once) → reply and CALL.DONE, with the log and
// metrics observers attached as in src/cli/main.ts. The stdio bench's CPU per call minus this is what
// pipes, the SDK and parsing cost.
// `npm run build && node bench/actor-path.js [calls]` (default 50000; BENCH_HANGAR_JS for another build).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process, { nextTick } from "node:process";
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
const metrics = await dist("observability/metrics.js").catch(() => undefined);

const dir = mkdtempSync(join(tmpdir(), "hangar-actor-path-"));
const configPath = join(dir, "hangar.yaml");
writeFileSync(configPath, JSON.stringify({ providers: { p: { command: ["node", "never-started.js"] } } }));
const config = loadConfig(configPath);
rmSync(dir, { recursive: true, force: true });

const result = { content: [{ type: "text", text: "hello" }] };
const connection = fromCallback(({ sendBack, receive }) => {
  nextTick(() => {
    sendBack({ type: "CONNECTION.READY", tools: [], pid: undefined, serverInfo: undefined, protocolVersion: undefined });
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

const run = async (count) => {
  for (let i = 0; i < count; i++) await runtime.invoke("p", "echo", { text: "x" });
};
await run(CALLS); // warm-up: JIT
const perCall = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  await run(CALLS);
  const used = process.cpuUsage(before);
  perCall.push((used.user + used.system) / CALLS);
}
process.stdout.write(`${MAIN_JS}: actor path ${median(perCall).toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS})\n`);
await runtime.shutdown();
process.exit(0);
