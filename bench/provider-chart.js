// CPU per call of the provider chart alone: one provider actor (the built chart, no supervisor,
// no observers, no promises), READY, whose connection answers each CALL synchronously; a call is
// its two macrosteps, INVOKE and CALL.DONE. bench/actor-path.js minus this is what the runtime,
// the domain-event bus and its observers cost. With a batch size > 1 the calls go in batches, as
// under concurrency: one INVOKE.BATCH, then one CALLS.DONE for all of them (builds without those
// events get the same calls one event at a time).
// `npm run build && node bench/provider-chart.js [calls] [batch]` (default 100000, 1; BENCH_HANGAR_JS for another build).
import process from "node:process";
import { fromCallback, createActor } from "xstate";
import { cpuPerCall, dist, instantConfig } from "./lib/instant-runtime.js";
import { MAIN_JS } from "./lib/clients.js";

const CALLS = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1);
const ROUNDS = 5;
const { providerMachine } = await dist("machines/provider.js");

const [spec] = (await instantConfig()).providers;
const held = [];
const done = (call) => ({ type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 });
const connection = fromCallback(({ sendBack, receive }) => {
  sendBack({ type: "CONNECTION.READY", tools: [], pid: 1, serverInfo: undefined, protocolVersion: undefined });
  receive((event) => {
    // CALLS: a batch's calls handed over in one event (builds since conc); CALL: one.
    const calls = event.type === "CALL" ? [event.call] : event.type === "CALLS" ? event.calls : [];
    for (const call of calls) {
      if (BATCH > 1) {
        held.push(call);
        continue;
      }
      call.reply({ status: "result", kind: "ok", result: { content: [] } });
      sendBack(done(call));
    }
  });
});
const actor = createActor(providerMachine.provide({ actors: { connection } }), { input: { spec } }).start();
actor.send({ type: "START" });
const call = { tool: "echo", arguments: { text: "x" }, correlationId: "c", reply: () => undefined };
const calls = Array.from({ length: BATCH }, () => call);
/** Whether the build's chart takes batches (INVOKE.BATCH is handled at its root). */
const batches = providerMachine.root.on["INVOKE.BATCH"] !== undefined;

/** One batch: the calls in, each answered, the answers back. */
const sendBatch = () => {
  if (batches) actor.send({ type: "INVOKE.BATCH", calls });
  else for (const one of calls) actor.send({ type: "INVOKE", call: one });
  const answered = held.splice(0);
  for (const one of answered) one.reply({ status: "result", kind: "ok", result: { content: [] } });
  if (batches) actor.send({ type: "CALLS.DONE", calls: answered.map(done) });
  else for (const one of answered) actor.send(done(one));
};

const run = async (count) => {
  if (BATCH > 1) for (let i = 0; i < count; i += BATCH) sendBatch();
  else for (let i = 0; i < count; i++) actor.send({ type: "INVOKE", call });
};
const perCall = await cpuPerCall(run, CALLS, ROUNDS);
const { value, context } = actor.getSnapshot();
const perRun = Math.ceil(CALLS / BATCH) * BATCH;
if (context.stats.calls !== perRun * (ROUNDS + 1)) throw new Error(`expected every call counted, got ${context.stats.calls}`);
process.stdout.write(
  `${MAIN_JS}: provider chart ${perCall.toFixed(1)} µs of CPU per call (median of ${ROUNDS} × ${CALLS}${BATCH > 1 ? `, batches of ${BATCH}` : ""}; in ${JSON.stringify(value)})\n`,
);
actor.stop();
process.exit(0);
