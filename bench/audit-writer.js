// Rows per second of the audit writer, in process, on a real SQLite file: the two events of one
// echo call (ToolInvocationRequested + ToolInvocationCompleted) encoded, chained and appended in
// batches of BATCH events, as the writer's timer does; and what each stage costs per row. A build
// that pairs (call-pairing.ts: an answered call is one row) is also measured per call: pairing,
// posting the paired batch, and the whole flush of paired rows, beside the same for two rows.
// The appends are measured twice, each on a file of its own: with the hangar's time-ordered
// correlation ids (UUIDv7) and with random ones (UUIDv4, what the hangar used before), which
// land at random places of the correlation index.
// Last, the whole pipeline as the hangar runs it: events published on a bus, batched by the
// ThreadedAuditWriter and written by its real worker thread, CPU per call of the process (both
// threads) and of the main thread alone — the audit's whole cost per call.
// `npm run build && node bench/audit-writer.js [calls]` (default 20000; BENCH_AUDIT_BATCH_CALLS
// sets the pipeline's calls per batch, default 300).
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Buffer } from "node:buffer";
import process from "node:process";
import { setImmediate } from "node:timers";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { MAIN_JS } from "./lib/clients.js";
import { dist } from "./lib/instant-runtime.js";
import { mainThreadCpuMs } from "./lib/procs.js";
import { median } from "./lib/stats.js";

const CALLS = Number(process.argv[2] ?? 20_000);
const BATCH = 200;
const POST_ROUNDS = 7;
const { AuditStore, openAuditDatabase } = await dist("observability/audit/store.js");
const { createRowEncoder } = await dist("observability/audit/capture.js");
const { chainHash } = await dist("observability/audit/chain.js");
const { Redactor } = await dist("shared/redaction.js");
const { newCorrelationId } = await dist("shared/correlation-id.js");
const { ThreadedAuditWriter } = await dist("observability/audit/threaded-writer.js");
// Absent in a build before one row per answered call.
const CallPairing = (await dist("observability/audit/call-pairing.js").catch(() => undefined))?.CallPairing;
const { DomainEventBus } = await dist("observability/domain-event-bus.js");
const writerScript = pathToFileURL(resolve(dirname(MAIN_JS), "observability/audit/writer-thread.js"));

const redactor = new Redactor();
redactor.register("sk-live-0123456789abcdef");
const encoder = createRowEncoder({ capture: "hash", key: Buffer.alloc(32, 7), redactor, instance: "2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b", source: "/home/me/hangar.yaml" });

let seq = 0;
function callEvents(newId) {
  const correlationId = newId();
  const base = { providerId: "fixture", tool: "echo", correlationId, systemId: "provider:fixture" };
  return [
    Object.assign({ type: "ToolInvocationRequested" }, base, { arguments: { text: "hello" }, seq: ++seq, timestamp: Date.now() }),
    Object.assign({ type: "ToolInvocationCompleted" }, base, {
      kind: "ok",
      durationMs: 0.21,
      toolResult: { content: [{ type: "text", text: "hello" }] },
      seq: ++seq,
      timestamp: Date.now(),
    }),
  ];
}
function eventsOfCalls(newId) {
  seq = 0;
  const events = [];
  for (let i = 0; i < CALLS; i++) events.push(...callEvents(newId));
  return events;
}
const events = eventsOfCalls(newCorrelationId);

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const measure = (label, fn, count, unit) => {
  const start = cpu();
  fn();
  const us = (cpu() - start) / count;
  process.stdout.write(`${label.padEnd(58)} ${us.toFixed(2).padStart(7)} µs/${unit}\n`);
  return us;
};
const perRow = (label, fn, rowCount = events.length) => measure(label, fn, rowCount, "row");
const perCall = (label, fn) => measure(label, fn, CALLS, "call");

const rows = events.map((e) => encoder.encode(e)); // warm
perRow("encode (redaction, HMAC, JSON)", () => events.forEach((e) => encoder.encode(e)));
// Warmed first, as encode is above: a cold first pass (the code not yet optimized) read ≈ 3.4 µs per row against ≈ 2 warm.
const genesis = "0".repeat(64);
rows.forEach((r) => chainHash(genesis, r));
perRow("chainHash (rowContent + SHA-256)", () => rows.forEach((r) => chainHash(genesis, r)));
// What the main thread pays to hand a batch to the writer thread: the batch in its wire form
// (audit-wire.ts; a build without it posted the event objects), serialized by postMessage there
// and then; the thread pays for deserializing.
const wire = await dist("observability/audit/audit-wire.js").catch(() => undefined);
const { port1, port2 } = new MessageChannel();
perRow(`${wire === undefined ? "postMessage of the event objects" : "toWire + postMessage"} (main thread)`, () => {
  for (let i = 0; i < events.length; i += BATCH) {
    const batch = events.slice(i, i + BATCH);
    port1.postMessage(wire === undefined ? batch : wire.toWire(batch, "hash"));
  }
});
perRow("receiving them (the writer thread)", () => {
  while (receiveMessageOnPort(port2) !== undefined);
});
const batches = (list) => {
  const out = [];
  for (let i = 0; i < list.length; i += BATCH) out.push(list.slice(i, i + BATCH));
  return out;
};
if (CallPairing !== undefined && wire !== undefined) {
  // Alternated rounds, medians: measured one after the other, the later form would run on code the earlier one warmed.
  process.stdout.write(`per call (two events published, batches of ${BATCH} events; medians of ${POST_ROUNDS} alternated rounds):\n`);
  const pairing = new CallPairing("hash");
  const cut = batches(events);
  const quietly = (fn) => {
    const start = cpu();
    fn();
    return (cpu() - start) / CALLS;
  };
  const drain = () => {
    while (receiveMessageOnPort(port2) !== undefined);
  };
  const rounds = { pairing: [], two: [], twoReceived: [], paired: [], pairedReceived: [] };
  for (let round = 0; round < POST_ROUNDS; round++) {
    rounds.pairing.push(quietly(() => cut.forEach((batch) => pairing.pair(batch))));
    rounds.two.push(quietly(() => cut.forEach((batch) => port1.postMessage(wire.toWire(batch, "hash")))));
    rounds.twoReceived.push(quietly(drain));
    rounds.paired.push(
      quietly(() =>
        cut.forEach((batch) => {
          const paired = pairing.pair(batch);
          port1.postMessage(wire.toWire(paired.events, "hash", paired.requests));
        }),
      ),
    );
    rounds.pairedReceived.push(quietly(drain));
  }
  const line = (label, values) => process.stdout.write(`${label.padEnd(58)} ${median(values).toFixed(2).padStart(7)} µs/call\n`);
  line("  pairing (CallPairing.pair, main thread)", rounds.pairing);
  line("  toWire + postMessage, two events (main thread)", rounds.two);
  line("  receiving them (the writer thread)", rounds.twoReceived);
  line("  pair + toWire + postMessage (main thread)", rounds.paired);
  line("  receiving the paired batches (the writer thread)", rounds.pairedReceived);
}
port1.close();

const dir = mkdtempSync(join(tmpdir(), "hangar-audit-bench-"));
try {
  for (const [ids, newId] of [
    ["UUIDv7 ids, the hangar's", newCorrelationId],
    ["random UUIDv4 ids", randomUUID],
  ]) {
    const idEvents = eventsOfCalls(newId);
    const idRows = idEvents.map((e) => encoder.encode(e));
    const store = new AuditStore(openAuditDatabase(join(dir, `audit-${newId.name}.db`)));
    store.append(idRows.slice(0, BATCH));
    perRow(`store.append (chain + SQLite), ${ids}`, () => {
      for (let i = BATCH; i < idRows.length; i += BATCH) store.append(idRows.slice(i, i + BATCH));
    }, idRows.length - BATCH);
    // As many calls again, encoded and appended onto the file that holds the first ones.
    const again = eventsOfCalls(newId);
    const all = perRow(`whole flush (encode + append), ${ids}`, () => {
      for (let i = 0; i < again.length; i += BATCH) store.append(again.slice(i, i + BATCH).map((e) => encoder.encode(e)));
    });
    process.stdout.write(`≈ ${Math.round(1e6 / all).toLocaleString("en")} rows/s on one thread (${again.length} rows, batches of ${BATCH}, ${ids})\n`);
    if (CallPairing !== undefined) {
      // The same calls once more, paired as the writer pairs them: one row per call.
      const pairing = new CallPairing("hash");
      const paired = eventsOfCalls(newId);
      perCall(`whole flush, paired (pair + encode + append), ${ids}`, () => {
        for (let i = 0; i < paired.length; i += BATCH) store.append(pairing.pairObjects(paired.slice(i, i + BATCH)).map((e) => encoder.encode(e)));
      });
      const twoRows = eventsOfCalls(newId);
      perCall(`whole flush, two rows (encode + append), ${ids}`, () => {
        for (let i = 0; i < twoRows.length; i += BATCH) store.append(twoRows.slice(i, i + BATCH).map((e) => encoder.encode(e)));
      });
    }
    store.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The pipeline: a bus, the threaded writer with its real thread, batches of PIPELINE_BATCH_CALLS
// calls (≈ 100 ms of a hangar answering 3,000 calls a second), each flushed and waited for.
// Events shaped as the provider chart emits them (same keys, same order, principal unset).
// BENCH_AUDIT_BATCH_CALLS=900: the batches of a hangar answering ≈ 9,000 calls a second (8 callers).
const PIPELINE_BATCH_CALLS = Number(process.env.BENCH_AUDIT_BATCH_CALLS ?? 300);
const PIPELINE_ROUNDS = 5;
const PIPELINE_CALLS_PER_TURN = 10;
const pipelineDir = mkdtempSync(join(tmpdir(), "hangar-audit-pipeline-"));
try {
  const bus = new DomainEventBus();
  const writer = new ThreadedAuditWriter({
    script: writerScript,
    path: join(pipelineDir, "audit.db"),
    capture: "hash",
    key: Buffer.alloc(32, 7),
    instance: "2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b",
    source: "/home/me/hangar.yaml",
    redactor,
    batchMs: 60_000,
    onError: (error) => {
      throw error;
    },
    onMainThread: () => {
      throw new Error("the pipeline bench expects the writer thread");
    },
    threadAtEvents: 0,
  });
  writer.attach(bus);
  const publishCalls = (count) => {
    for (let i = 0; i < count; i++) {
      const correlationId = newCorrelationId();
      bus.publish("provider:fixture", { type: "ToolInvocationRequested", providerId: "fixture", tool: "echo", correlationId, principal: undefined, arguments: { text: "hello" } });
      bus.publish("provider:fixture", {
        type: "ToolInvocationCompleted",
        providerId: "fixture",
        tool: "echo",
        correlationId,
        principal: undefined,
        kind: "ok",
        durationMs: 0.21,
        toolResult: { content: [{ type: "text", text: "hello" }] },
      });
    }
  };
  // Calls come a few at a time between turns of the event loop, as they do over a pipe.
  const runCalls = async (calls) => {
    for (let done = 0; done < calls; done += PIPELINE_BATCH_CALLS) {
      for (let published = 0; published < PIPELINE_BATCH_CALLS; published += PIPELINE_CALLS_PER_TURN) {
        publishCalls(PIPELINE_CALLS_PER_TURN);
        await new Promise((resolve) => setImmediate(resolve));
      }
      writer.flush();
    }
  };
  await runCalls(Math.min(CALLS, 3_000)); // warm: the thread's code optimized, the file started
  // Medians of PIPELINE_ROUNDS rounds: another process on the machine disturbs one round, not the figure.
  const processRounds = [];
  const mainRounds = [];
  for (let round = 0; round < PIPELINE_ROUNDS; round++) {
    const processBefore = cpu();
    const mainBefore = mainThreadCpuMs(process.pid);
    await runCalls(CALLS / PIPELINE_ROUNDS);
    processRounds.push((cpu() - processBefore) / (CALLS / PIPELINE_ROUNDS));
    mainRounds.push(((mainThreadCpuMs(process.pid) - mainBefore) * 1000) / (CALLS / PIPELINE_ROUNDS));
  }
  const processUs = median(processRounds);
  const mainUs = median(mainRounds);
  writer.close();
  process.stdout.write(`${"pipeline: publish + writer thread, process CPU".padEnd(58)} ${processUs.toFixed(2).padStart(7)} µs/call\n`);
  process.stdout.write(`${"pipeline: of which the main thread (10 ms ticks)".padEnd(58)} ${mainUs.toFixed(2).padStart(7)} µs/call\n`);
} finally {
  rmSync(pipelineDir, { recursive: true, force: true });
}
