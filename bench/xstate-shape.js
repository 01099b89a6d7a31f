// What one xstate step costs by the shape of the chart alone: the same event taken by a
// targetless transition with one `assign` (as the provider chart's INVOKE / CALL.DONE are), in a
// flat chart, a chart four levels deep, and four levels deep beside a parallel region (the provider
// chart's shape: lifecycle.running.serving.READY beside breaker.CLOSED); also a flat chart without
// the assign, and with a one-field context instead of the provider's twenty. xstate v5 rebuilds the
// state value and tag set from the active nodes for every snapshot it makes (one per assign, one
// per step), so the number of active nodes is paid on every step. In-process, no runtime.
// `node bench/xstate-shape.js [steps]` (default 200000).
import process from "node:process";
import { assign, createActor, setup } from "xstate";
import { allocatedDuring } from "./lib/allocation.js";
import { cpuPerCall } from "./lib/instant-runtime.js";

const STEPS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;
/** Twenty fields, as many as the provider chart's context has. */
const wideContext = () => Object.fromEntries([...Array.from({ length: 20 }, (_, index) => [`field${index}`, index]), ["count", 0]]);
const count = assign({ count: ({ context }) => context.count + 1 });
const leaf = { on: { GO: { actions: count } } };
const fourDeep = { initial: "running", states: { running: { initial: "serving", states: { serving: { initial: "READY", states: { READY: leaf } } } } } };

const shapes = {
  "flat, no assign": () => setup({}).createMachine({ context: wideContext(), initial: "READY", states: { READY: { on: { GO: { actions: () => undefined } } } } }),
  "flat, one-field context": () => setup({}).createMachine({ context: { count: 0 }, initial: "READY", states: { READY: leaf } }),
  flat: () => setup({}).createMachine({ context: wideContext(), initial: "READY", states: { READY: leaf } }),
  "four levels deep": () => setup({}).createMachine({ context: wideContext(), initial: "lifecycle", states: { lifecycle: fourDeep } }),
  "four levels deep beside a parallel region": () =>
    setup({}).createMachine({
      context: wideContext(),
      type: "parallel",
      states: { lifecycle: fourDeep, breaker: { initial: "CLOSED", states: { CLOSED: {}, OPEN: {} } } },
    }),
};

const event = { type: "GO" };
for (const [name, machine] of Object.entries(shapes)) {
  const actor = createActor(machine()).start();
  const run = (steps) => {
    for (let step = 0; step < steps; step++) actor.send(event);
  };
  const micros = await cpuPerCall(run, STEPS, ROUNDS);
  const bytes = (await allocatedDuring(() => run(STEPS))) / STEPS;
  process.stdout.write(`${name.padEnd(42)} ${micros.toFixed(2).padStart(6)} µs  ${(bytes / 1024).toFixed(1).padStart(5)} KB per step\n`);
  actor.stop();
}
