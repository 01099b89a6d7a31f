import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AuditCapture } from "../../../src/config/types.js";
import { CallPairing } from "../../../src/observability/audit/call-pairing.js";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import type { DomainEvent, StampedDomainEvent } from "../../../src/shared/domain-events.js";
import { Redactor } from "../../../src/shared/redaction.js";
import { auditFileBytes, readAudit, verifyAudit } from "../../helpers/audit-db.js";
import { useAuditFiles } from "./helpers.js";
import { sideBySideWriters } from "./side-by-side-writers.js";

/**
 * One row per answered call (call-pairing.ts) on real SQLite files and the real writer thread: a
 * call answered before its batch is written is its answer's row carrying the request's arguments;
 * a call in flight when its batch is written keeps its request's row; pairs are never wrong
 * (group retries, reused correlation ids); replay counts the same; both writers write the same.
 */
const files = useAuditFiles();
const SECRET = "sk-pair-0123456789abcdef";

const requested = (correlationId: string, args: Record<string, unknown> | undefined, providerId = "math"): DomainEvent => ({
  type: "ToolInvocationRequested",
  providerId,
  tool: "add",
  correlationId,
  principal: "alice",
  arguments: args,
});
const completed = (correlationId: string, providerId = "math", kind: "ok" | "tool_error" = "ok"): DomainEvent => ({
  type: "ToolInvocationCompleted",
  providerId,
  tool: "add",
  correlationId,
  principal: "alice",
  kind,
  durationMs: 2.5,
  toolResult: { content: [{ type: "text", text: "the answer" }] },
});
const failed = (correlationId: string, details: Partial<Extract<DomainEvent, { type: "ToolInvocationFailed" }>> = {}, providerId = "math"): DomainEvent => ({
  type: "ToolInvocationFailed",
  providerId,
  tool: "add",
  correlationId,
  principal: "alice",
  kind: "timeout",
  durationMs: 30,
  ...details,
});

/** [type, correlation id, arguments as stored] of each row. */
function callRows(path: string): [string, string | null, unknown][] {
  return readAudit(path).map((event) => [event.type, event.correlationId, event.data.arguments]);
}

describe("audit: one row per answered call", () => {
  it("an answered call in one batch is one row, the answer's, with the arguments as the request's row would store them (each capture mode)", () => {
    for (const capture of ["none", "hash", "full"] as AuditCapture[]) {
      const redactor = new Redactor();
      redactor.register(SECRET);
      const { trail, bus, errors } = files.open({ capture, batchMs: 60_000, path: join(files.dir(), capture, "audit.db") }, { redactor });
      const args = { a: 1, note: `key ${SECRET}`, value: "argument-value-7f3a" };
      // The same call twice: answered within its batch, and in flight when its batch was written.
      bus.publish("provider:math", requested("one", args));
      bus.publish("provider:math", completed("one"));
      trail.flush();
      bus.publish("provider:math", requested("two", args));
      trail.flush();
      bus.publish("provider:math", completed("two"));
      trail.close();
      expect(errors).toEqual([]);
      const events = readAudit(trail.path);
      expect(events.map((event) => [event.type, event.correlationId, event.seq])).toEqual([
        ["ToolInvocationCompleted", "one", 2],
        ["ToolInvocationRequested", "two", 3],
        ["ToolInvocationCompleted", "two", 4],
      ]);
      const [one, twoRequested, two] = events;
      // The request's arguments, stored exactly as its own row stores them; the answer's own fields as ever.
      expect(one?.data.arguments, capture).toEqual(twoRequested?.data.arguments);
      expect(one?.data.result, capture).toEqual(two?.data.result);
      expect(one?.principal).toBe("alice");
      expect(Object.keys(one?.data ?? {})).toEqual(["tool", "kind", "durationMs", ...(capture === "none" ? [] : ["result", "arguments"])]);
      expect(two?.data.arguments).toBeUndefined();
      const bytes = auditFileBytes(join(files.dir(), capture));
      expect(bytes).not.toContain(SECRET);
      if (capture === "none") expect(one?.data).not.toHaveProperty("arguments");
      if (capture === "hash") expect(one?.data.arguments).toMatchObject({ bytes: JSON.stringify(args).length, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
      if (capture === "full") expect(one?.data.arguments).toEqual({ bytes: JSON.stringify(args).length, value: { a: 1, note: "key ***", value: "argument-value-7f3a" } });
      else expect(bytes).not.toContain("argument-value-7f3a");
      expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 3 });
    }
  });

  it("pairs each attempt of a group retry with its own answer, and leaves refusals and queued failures as they are", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    // A group call: member a crashes under the first attempt, member b answers the second; one correlation id throughout.
    bus.publish("provider:a", requested("g1", { attempt: 1 }, "a"));
    bus.publish("provider:a", failed("g1", { kind: "crash", durationMs: 4 }, "a"));
    bus.publish("group:pool", { type: "GroupCallRetried", groupId: "pool", tool: "add", correlationId: "g1", failedMember: "a", kind: "crash", nextMember: "b" });
    bus.publish("provider:b", requested("g1", { attempt: 2 }, "b"));
    bus.publish("provider:b", completed("g1", "b"));
    // A retry on the same member: the next answer of the same provider and id closes each request.
    bus.publish("provider:a", requested("g2", { attempt: 1 }, "a"));
    bus.publish("provider:a", failed("g2", { kind: "transport", durationMs: 1 }, "a"));
    bus.publish("provider:a", requested("g2", { attempt: 2 }, "a"));
    bus.publish("provider:a", completed("g2", "a"));
    // Never reached a provider: no request to pair with (a request of the same id still open stays so).
    bus.publish("provider:a", requested("q1", { n: 1 }, "a"));
    bus.publish("provider:a", failed("q1", { kind: "unavailable", durationMs: undefined, stage: "queued", message: "stopped" }, "a"));
    bus.publish("provider:a", failed("q1", { kind: "timeout", durationMs: 9 }, "a"));
    bus.publish("group:pool", failed("g3", { kind: "rejected", durationMs: undefined, stage: "refused", refusal: "rate_limited_provider" }, "pool"));
    trail.close();
    const hashOf = (args: Record<string, unknown>): unknown => ({ bytes: JSON.stringify(args).length, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    const rows = readAudit(trail.path).map((event) => [event.type, event.provider, event.correlationId, event.data.kind, event.data.arguments]);
    expect(rows).toEqual([
      ["ToolInvocationFailed", "a", "g1", "crash", hashOf({ attempt: 1 })],
      ["GroupCallRetried", null, "g1", "crash", undefined],
      ["ToolInvocationCompleted", "b", "g1", "ok", hashOf({ attempt: 2 })],
      ["ToolInvocationFailed", "a", "g2", "transport", hashOf({ attempt: 1 })],
      ["ToolInvocationCompleted", "a", "g2", "ok", hashOf({ attempt: 2 })],
      ["ToolInvocationFailed", "a", "q1", "unavailable", undefined],
      ["ToolInvocationFailed", "a", "q1", "timeout", hashOf({ n: 1 })],
      ["ToolInvocationFailed", "pool", "g3", "rejected", undefined],
    ]);
    const events = readAudit(trail.path);
    // Different arguments per attempt: each row has its own attempt's.
    expect(events[0]?.data.arguments).not.toEqual(events[2]?.data.arguments);
  });

  it("never pairs when a correlation id is reused by calls in flight together, in one batch or across batches", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    bus.publish("provider:math", requested("same", { n: 1 }));
    bus.publish("provider:math", requested("same", { n: 2 }));
    bus.publish("provider:math", completed("same"));
    bus.publish("provider:math", completed("same"));
    // One in flight when its batch is written, the next asked and answered in the next batch: which answer is whose?
    bus.publish("provider:math", requested("across", { n: 1 }));
    trail.flush();
    bus.publish("provider:math", requested("across", { n: 2 }));
    bus.publish("provider:math", completed("across"));
    bus.publish("provider:math", completed("across"));
    // Once both are answered, the id pairs again.
    bus.publish("provider:math", requested("across", { n: 3 }));
    bus.publish("provider:math", completed("across"));
    trail.close();
    const rows = callRows(trail.path).map(([type, id, args]) => [type, id, args === undefined ? "-" : "args"]);
    expect(rows).toEqual([
      ["ToolInvocationRequested", "same", "args"],
      ["ToolInvocationRequested", "same", "args"],
      ["ToolInvocationCompleted", "same", "-"],
      ["ToolInvocationCompleted", "same", "-"],
      ["ToolInvocationRequested", "across", "args"],
      ["ToolInvocationRequested", "across", "args"],
      ["ToolInvocationCompleted", "across", "-"],
      ["ToolInvocationCompleted", "across", "-"],
      ["ToolInvocationCompleted", "across", "args"],
    ]);
  });

  it("keeps the request's time as requestedAt when the answer has no durationMs to date it by", () => {
    const { trail, bus } = files.open({ batchMs: 60_000 });
    bus.publish("provider:math", requested("c1", { a: 1 }));
    bus.publish("provider:math", failed("c1", { kind: "crash", durationMs: undefined, message: "exited" }));
    trail.close();
    const events = readAudit(trail.path);
    expect(events).toHaveLength(1);
    const answer = events[0];
    expect(answer?.data).toMatchObject({ kind: "crash", message: "exited", requestedAt: expect.any(Number) as number });
    expect(answer?.data.requestedAt).toBeLessThanOrEqual(answer?.ts ?? 0);
  });

  it("replay counts the same whether each call is stored as one row or as two", () => {
    const calls = (bus: DomainEventBus, flushEach: () => void): void => {
      const publish = (event: DomainEvent): void => {
        bus.publish("provider:math", event);
        flushEach();
      };
      publish({ type: "ProviderStarted", providerId: "math", pid: 1, toolCount: 2, durationMs: 5 });
      publish(requested("ok", { a: 1 }));
      publish(completed("ok"));
      publish(requested("err", { a: 2 }));
      publish(completed("err", "math", "tool_error"));
      publish(requested("slow", { a: 3 }));
      publish(failed("slow"));
      publish(requested("gone", { a: 4 }));
      publish(failed("gone", { kind: "cancelled", durationMs: 3 }));
      publish(requested("crash", { a: 5 }));
      publish(failed("crash", { kind: "crash", durationMs: 8 }));
      publish(failed("queued", { kind: "start_failed", durationMs: undefined, stage: "queued" }));
      publish(failed("refused", { kind: "unavailable", durationMs: undefined, stage: "refused" }));
      publish({ type: "ProviderStopped", providerId: "math", reason: "crash", kind: "crash", message: "exited with code 9" });
    };
    const oneRow = files.open({ batchMs: 60_000, path: join(files.dir(), "one-row.db") });
    calls(oneRow.bus, () => {
      // Nothing flushed between the events: each call answered within its batch.
    });
    const twoRows = files.open({ batchMs: 60_000, path: join(files.dir(), "two-rows.db") });
    calls(twoRows.bus, () => {
      twoRows.trail.flush();
    });
    oneRow.trail.flush();
    expect(readAudit(oneRow.trail.path)).toHaveLength(9);
    expect(readAudit(twoRows.trail.path)).toHaveLength(14);
    const counters = oneRow.trail.replay(["math"]).math;
    expect(counters).toMatchObject({ stats: { calls: 5, failures: 3, starts: 1 }, lastError: { kind: "crash" } });
    // The same counters, the same last error; only the times differ (the two files were written moments apart).
    const withoutTimes = (record: typeof counters): unknown => ({
      ...record,
      stats: { ...record?.stats, lastCallAt: typeof record?.stats.lastCallAt },
      lastError: { ...record?.lastError, at: typeof record?.lastError?.at },
    });
    expect(withoutTimes(counters)).toEqual(withoutTimes(twoRows.trail.replay(["math"]).math));
  });

  it("the writer thread and the main-thread writer write the same rows, in flight or answered, merged or not", () => {
    const dir = files.dir();
    const writers = sideBySideWriters(dir, SECRET);
    const { bus, errors, rowsOf, flush } = writers;
    try {
      for (let round = 0; round < 12; round += 1) {
        bus.publish("provider:math", requested(`c${round}`, { round, secret: SECRET }));
        if (round % 3 === 0) flush();
        bus.publish("provider:math", round % 4 === 0 ? failed(`c${round}`, { durationMs: round % 8 === 0 ? undefined : 1, message: `bad ${SECRET}` }) : completed(`c${round}`));
        bus.publish("provider:math", requested("reused", { round }));
        if (round % 5 === 0) flush();
      }
      for (let round = 0; round < 12; round += 1) bus.publish("provider:math", completed("reused"));
    } finally {
      writers.close();
    }
    expect(errors).toEqual([]);
    const rows = rowsOf("thread.db");
    // 12 calls, 4 of them in flight at a flush (two rows each); 12 overlapping requests of one id and their answers, never paired.
    expect(rows).toHaveLength(12 + 4 + 24);
    expect(rows).toEqual(rowsOf("main.db"));
    expect(verifyAudit(join(dir, "thread.db"))).toMatchObject({ ok: true, rows: 40 });
    expect(auditFileBytes(dir)).not.toContain(SECRET);
  });

  it("a crash of the writer thread hands over exactly: merged rows, a request in flight, its later answer", () => {
    const { trail, bus, errors } = files.open({ batchMs: 60_000 }, { crashWriterThreadOn: "CircuitOpened" });
    bus.publish("provider:math", requested("before", { a: 0 }));
    bus.publish("provider:math", completed("before"));
    trail.flush();
    bus.publish("provider:math", requested("answered", { a: 1 }));
    bus.publish("provider:math", completed("answered"));
    bus.publish("provider:math", requested("in-flight", { a: 2 }));
    // The thread throws on this batch: the main thread writes it, and everything after.
    bus.publish("provider:math", { type: "CircuitOpened", providerId: "math", failures: 3, retryAt: 0 });
    trail.flush();
    bus.publish("provider:math", completed("in-flight"));
    trail.flush();
    expect(errors.map(String).some((message) => message.includes("writing on the main thread from now on"))).toBe(true);
    const events = readAudit(trail.path);
    expect(events.map((event) => [event.type, event.correlationId, event.seq, event.data.arguments === undefined ? "-" : "args"])).toEqual([
      ["ToolInvocationCompleted", "before", 2, "args"],
      ["ToolInvocationCompleted", "answered", 4, "args"],
      ["ToolInvocationRequested", "in-flight", 5, "args"],
      ["CircuitOpened", null, 6, "-"],
      ["ToolInvocationCompleted", "in-flight", 7, "-"],
    ]);
    expect(verifyAudit(trail.path)).toMatchObject({ ok: true, rows: 5 });
  });

  it("forgets a request once answered, and keeps a bounded number of unanswered ones", () => {
    const pairing = new CallPairing("hash");
    let seq = 0;
    const stamp = (event: DomainEvent): StampedDomainEvent => ({ ...event, seq: ++seq, timestamp: 1_790_000_000_000 + seq, systemId: "provider:math" });
    const answeredLater = Array.from({ length: 100 }, (_, index) => stamp(requested(`late${index}`, { index })));
    expect(pairing.pair(answeredLater)).toEqual({ events: answeredLater, requests: undefined });
    expect(pairing.openIds).toBe(100);
    const answers = Array.from({ length: 100 }, (_, index) => stamp(completed(`late${index}`)));
    // Answers of requests written in an earlier batch: as they are.
    expect(pairing.pair(answers)).toEqual({ events: answers, requests: undefined });
    expect(pairing.openIds).toBe(0);
    for (let batch = 0; batch < 5; batch += 1) pairing.pair(Array.from({ length: 10_000 }, (_, index) => stamp(requested(`never${batch}-${index}`, {}))));
    expect(pairing.openIds).toBe(20_000);
  });
});
