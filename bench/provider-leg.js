// CPU per call of the provider leg alone: one stdio connection (src/actors/subprocess-connection.ts)
// to the echo fixture, in this process, without actors or a front end — CALL in, reply out,
// sequential. Only this process's CPU is counted (the fixture is another process), so the figure
// is what the hangar spends per call on its provider side: request, pipe write, read, parse, reply.
// `npm run build && node bench/provider-leg.js [calls] [callers]` (defaults 20000 and 1; BENCH_HANGAR_JS for another build).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { MAIN_JS, REPO_ROOT } from "./lib/clients.js";
import { cpuPerCall, dist } from "./lib/instant-runtime.js";

const CALLS = Number(process.argv[2] ?? 20_000);
/** Callers at once (argv[3], default 1: sequential). */
const CALLERS = Number(process.argv[3] ?? 1);
const ROUNDS = 5;
const { stdioConnectionCallback } = await dist("actors/subprocess-connection.js");
const { subprocessLauncher } = await dist("actors/subprocess-launcher.js");
const { loadConfig } = await dist("config/load.js");
const { LineRing } = await dist("shared/line-ring.js");
const { configureLog } = await dist("observability/log.js");

const dir = mkdtempSync(join(tmpdir(), "hangar-provider-leg-"));
const configPath = join(dir, "hangar.yaml");
const fixture = join(REPO_ROOT, "test", "fixtures", "echo-server.js");
writeFileSync(configPath, JSON.stringify({ providers: { fixture: { command: [process.execPath, fixture], cwd: dirname(fixture) } } }));
const spec = loadConfig(configPath).providers.find((provider) => provider.id === "fixture");
rmSync(dir, { recursive: true, force: true });

configureLog({ level: "warn" });
let deliver;
let ready;
const started = new Promise((resolve) => {
  ready = resolve;
});
const stop = stdioConnectionCallback((providerSpec) => subprocessLauncher(providerSpec, process.env))({
  input: { spec, stderr: new LineRing(50) },
  sendBack: (event) => {
    if (event.type === "CONNECTION.READY") ready();
    if (event.type === "CONNECTION.FAILED") throw new Error(event.message);
  },
  receive: (handler) => {
    deliver = handler;
  },
});
await started;

const call = (i) =>
  new Promise((resolve) => {
    deliver({ type: "CALL", call: { tool: "echo", arguments: { text: "hello" }, correlationId: `c${i}`, reply: resolve } });
  });
const caller = async (count, offset) => {
  for (let i = 0; i < count; i++) {
    const outcome = await call(offset + i);
    if (outcome.status !== "result") throw new Error(JSON.stringify(outcome));
  }
};
const run = (count) => Promise.all(Array.from({ length: CALLERS }, (_, index) => caller(count / CALLERS, index * count)));
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
process.stdout.write(`${MAIN_JS}: provider leg, ${CALLERS} caller(s): ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS})\n`);
stop();
process.exit(0);
