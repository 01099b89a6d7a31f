// CPU per call of the provider chart alone: one provider actor (the built chart, no supervisor,
// no observers, no promises), READY, whose connection answers each CALL synchronously; a call is
// its two macrosteps, INVOKE and CALL.DONE. bench/actor-path.js minus this is what the runtime,
// the domain-event bus and its observers cost.
// `npm run build && node bench/provider-chart.js [calls]` (default 100000; BENCH_HANGAR_JS for another build).
import process from "node:process";
import { fromCallback, createActor } from "xstate";
import { cpuPerCall, dist, instantConfig } from "./lib/instant-runtime.js";
import { MAIN_JS } from "./lib/clients.js";

const CALLS = Number(process.argv[2] ?? 100_000);
const ROUNDS = 5;
const { providerMachine } = await dist("machines/provider.js");

const [spec] = (await instantConfig()).providers;
const connection = fromCallback(({ sendBack, receive }) => {
  sendBack({ type: "CONNECTION.READY", tools: [], pid: 1, serverInfo: undefined, protocolVersion: undefined });
  receive((event) => {
    if (event.type !== "CALL") return;
    event.call.reply({ status: "result", kind: "ok", result: { content: [] } });
    sendBack({ type: "CALL.DONE", correlationId: event.call.correlationId, tool: event.call.tool, kind: "ok", durationMs: 0 });
  });
});
const actor = createActor(providerMachine.provide({ actors: { connection } }), { input: { spec } }).start();
actor.send({ type: "START" });
const call = { tool: "echo", arguments: { text: "x" }, correlationId: "c", reply: () => undefined };

const run = async (count) => {
  for (let i = 0; i < count; i++) actor.send({ type: "INVOKE", call });
};
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
const { value, context } = actor.getSnapshot();
if (context.stats.calls !== CALLS * (ROUNDS + 1)) throw new Error(`expected every call counted, got ${context.stats.calls}`);
process.stdout.write(
  `${MAIN_JS}: provider chart ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS}; in ${JSON.stringify(value)})\n`,
);
actor.stop();
process.exit(0);
