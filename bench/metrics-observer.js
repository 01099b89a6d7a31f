// Per-call cost of the metrics observer: publishes ToolInvocationCompleted events on the
// domain-event bus (as the provider chart does once per call) with no listener, with a no-op
// listener (the bus's stamping), and with the metrics observer, and prints ns per event.
// `npm run build && node bench/metrics-observer.js [events]` (default 100000).
import { performance } from "node:perf_hooks";
import process from "node:process";
import { DomainEventBus } from "../dist/observability/domain-event-bus.js";
import { createMetrics } from "../dist/observability/metrics.js";

const EVENTS = Number(process.argv[2] ?? 100_000);
const ROUNDS = 7;
const PROVIDERS = ["math", "search", "files"];
const TOOLS = ["add", "sub", "mul", "div", "pow"];

/** The runtime reads the observers make: configured ids, a provider's listed tools, and (group metrics) no groups. */
const runtime = {
  providerIds: () => PROVIDERS,
  hasProvider: (id) => PROVIDERS.includes(id),
  tools: () => TOOLS.map((name) => ({ tool: { name, inputSchema: { type: "object" } }, source: "live" })),
  view: () => undefined,
  groupIds: () => [],
  hasGroup: () => false,
  groupView: () => undefined,
};

// Pre-built events, so the loop measures the bus and its listeners, not building events.
const events = Array.from({ length: 1024 }, (_, i) => ({
  type: "ToolInvocationCompleted",
  providerId: PROVIDERS[i % PROVIDERS.length],
  tool: TOOLS[i % TOOLS.length],
  correlationId: `c${i}`,
  kind: i % 10 === 0 ? "tool_error" : "ok",
  durationMs: i % 200,
}));

function timeBus(bus) {
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) bus.publish("provider:math", events[i & 1023]);
  return ((performance.now() - started) * 1e6) / EVENTS;
}

// The observer alone, called as the bus calls it, on events stamped beforehand.
const stamped = events.map((event, seq) => ({ ...event, seq, timestamp: new Date().toISOString(), systemId: "provider:math" }));
function timeObserver(listener) {
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) listener(stamped[i & 1023]);
  return ((performance.now() - started) * 1e6) / EVENTS;
}

const silentBus = new DomainEventBus();
const stampingBus = new DomainEventBus();
stampingBus.subscribe(() => undefined);
let observer;
// The provider metrics subscribe first (the per-call listener); the group metrics' listener comes second.
const capture = { subscribe: (listener) => ((observer ??= listener), () => undefined) };
const metrics = createMetrics(capture, runtime, { defaultMetrics: false });

const best = { none: Infinity, stamping: Infinity, observer: Infinity };
timeBus(silentBus);
timeBus(stampingBus);
timeObserver(observer); // warm-up
// Interleaved rounds, best of each: the machine's other load affects all three alike.
for (let round = 0; round < ROUNDS; round++) {
  best.none = Math.min(best.none, timeBus(silentBus));
  best.stamping = Math.min(best.stamping, timeBus(stampingBus));
  best.observer = Math.min(best.observer, timeObserver(observer));
}

const text = await metrics.render();
const counted = [...text.matchAll(/^mcp_hangar_tool_calls_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
metrics.close();
const expected = EVENTS * (ROUNDS + 1);
if (counted !== expected) throw new Error(`counted ${counted} calls, observed ${expected}`);

process.stderr.write(`${EVENTS} ToolInvocationCompleted events, best of ${ROUNDS} rounds (node ${process.version})\n`);
process.stderr.write(`  bus publish, no listener:          ${best.none.toFixed(0)} ns/event\n`);
process.stderr.write(`  bus publish, one no-op listener:   ${best.stamping.toFixed(0)} ns/event (the stamped copy every listener shares)\n`);
process.stderr.write(`  metrics observer, per event:       ${best.observer.toFixed(0)} ns/event (Map lookups + counter inc + histogram observe)\n`);
