// The in-process benches' hangar (actor-path.js, front-path.js): a HangarRuntime of the built
// hangar with one provider `p` whose connection is a fake that answers every call at once, with
// the log and metrics observers attached as in src/cli/main.ts; and the CPU-per-call loop they share.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process, { nextTick } from "node:process";
import { pathToFileURL } from "node:url";
import { fromCallback } from "xstate";
import { MAIN_JS } from "./clients.js";
import { median } from "./stats.js";

/** A module of the build under test (dist/…). */
export const dist = (path) => import(pathToFileURL(resolve(dirname(MAIN_JS), path)).href);

/**
 * The loaded config of one provider `p` that lists `tools` (predefined) and is never really
 * started; with `group`, a second such provider `q` and a round-robin group `g` of the two.
 */
export async function instantConfig(tools = [], { group = false } = {}) {
  const { loadConfig } = await dist("config/load.js");
  const dir = mkdtempSync(join(tmpdir(), "hangar-instant-"));
  const configPath = join(dir, "hangar.yaml");
  const provider = { command: ["node", "never-started.js"], ...(tools.length > 0 ? { tools } : {}) };
  const providers = group ? { p: provider, q: provider, g: { mode: "group", members: ["p", "q"] } } : { p: provider };
  writeFileSync(configPath, JSON.stringify({ providers }));
  const config = loadConfig(configPath);
  rmSync(dir, { recursive: true, force: true });
  return config;
}

/** A started runtime whose provider `p` (and with `group`, `q` and the group `g`) lists `tools` (predefined in its config too) and answers "hello". */
export async function startInstantRuntime(tools = [], { group = false } = {}) {
  const { HangarRuntime } = await dist("runtime/hangar-runtime.js");
  const { configureLog, log } = await dist("observability/log.js");
  const { logDomainEvents } = await dist("observability/log-observer.js");
  const metrics = await dist("observability/metrics.js").catch(() => undefined);
  const config = await instantConfig(tools, { group });

  const result = { content: [{ type: "text", text: "hello" }] };
  const connection = fromCallback(({ sendBack, receive }) => {
    nextTick(() => {
      sendBack({ type: "CONNECTION.READY", tools, pid: undefined, serverInfo: undefined, protocolVersion: undefined });
    });
    // The calls sent in one tick are answered together in the next, as one pipe read would
    // deliver every answer written meanwhile (one call at a time when the callers wait in turn).
    const answer = answerer(sendBack, result);
    let sent = [];
    const answerSent = () => {
      const calls = sent;
      sent = [];
      for (const call of calls) answer(call);
    };
    receive((event) => {
      // CALLS: a tick's calls handed over in one event (builds since conc); CALL: one.
      const calls = event.type === "CALL" ? [event.call] : event.type === "CALLS" ? event.calls : [];
      for (const call of calls) {
        if (sent.length === 0) nextTick(answerSent);
        sent.push(call);
      }
    });
  });

  configureLog({ level: "warn" });
  const runtime = new HangarRuntime(config, { connection, healthProbe: fromCallback(() => undefined) });
  logDomainEvents(runtime.events, log);
  metrics?.createMetrics?.(runtime.events, runtime);
  runtime.start();
  return { runtime, config };
}

/**
 * Answers one call as a real connection does: through its serving lane when it went out on one,
 * else through the build's ConnectionOutbox when it has one (the answered calls of a tick become
 * one CALLS.DONE), else with one CALL.DONE each.
 */
function answerer(sendBack, result) {
  const outbox = Outbox === undefined ? undefined : new Outbox(sendBack);
  return (call) => {
    settleOk(call, result, sendBack, outbox);
  };
}

/**
 * Settles `call` with `result` as a real connection does: through its provider's serving lane when
 * it went out on one (builds before the lane never set it), else through `outbox` (the build's
 * ConnectionOutbox) when there is one, else with its own CALL.DONE.
 */
export function settleOk(call, result, sendBack, outbox) {
  const done = { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 };
  const reply = () => call.reply({ status: "result", kind: "ok", result });
  const toChart =
    outbox === undefined
      ? () => {
          reply();
          sendBack(done);
        }
      : () => outbox.settle(done, reply);
  if (call.lane === undefined) toChart();
  else call.lane.settle(done, reply, toChart);
}

/** The build's ConnectionOutbox, when it has one (builds before it sent every CALL.DONE alone). */
const Outbox = (await dist("actors/connection-outbox.js").catch(() => undefined))?.ConnectionOutbox;

/** `run(calls)` spread over `callers` concurrent loops, each waiting for its call before the next. */
export function concurrently(callOnce, callers) {
  return async (count) => {
    const each = Math.ceil(count / callers);
    await Promise.all(
      Array.from({ length: callers }, async () => {
        for (let i = 0; i < each; i++) await callOnce();
      }),
    );
  };
}

/** µs of this process's CPU per call of `run(calls)`: the median of `rounds`, after one warm-up run (JIT). */
export async function cpuPerCall(run, calls, rounds) {
  await run(calls);
  const perCall = [];
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    await run(calls);
    const used = process.cpuUsage(before);
    perCall.push((used.user + used.system) / calls);
  }
  return median(perCall);
}
