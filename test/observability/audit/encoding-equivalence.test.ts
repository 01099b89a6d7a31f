import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditCapture } from "../../../src/config/types.js";
import { forEachRecord, toWire, type WireBatch } from "../../../src/observability/audit/audit-wire.js";
import { CallPairing, mergedEvent } from "../../../src/observability/audit/call-pairing.js";
import { createRowEncoder, type RowEncoder } from "../../../src/observability/audit/capture.js";
import { keyedSha256 } from "../../../src/observability/audit/keyed-hash.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";
import type { StampedDomainEvent } from "../../../src/shared/domain-events.js";
import { Redactor } from "../../../src/shared/redaction.js";

/**
 * The audit writer's fast forms against the straightforward ones they replace, on a corpus of
 * events with unicode, secrets, odd values and odd shapes: the keyed hash against createHmac,
 * the text-built payload against JSON.stringify of the payload object, and the flat wire the
 * writer thread receives against the event objects. Any drift changes stored rows (and chains),
 * so each must give the very same bytes.
 */
const SECRET = "sk-live-0123456789abcdef";
const SHORT_SECRET = "pw42";
const INSTANCE = "2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b";
const SOURCE = "/home/mé/hangar.yaml";

/** The encoder as it was before the fast forms (createHmac, the payload as an object, then JSON.stringify). */
function straightforwardEncoder(options: { capture: AuditCapture; key: Buffer; redactor: Redactor }): (event: StampedDomainEvent) => AuditRow {
  const { capture, key, redactor } = options;
  const columnFields = new Set(["type", "providerId", "correlationId", "principal", "seq", "timestamp", "systemId"]);
  const capturedFields = new Map([
    ["arguments", "arguments"],
    ["toolResult", "result"],
  ]);
  const captured = (value: unknown): unknown => {
    if (capture === "none" || value === undefined) return undefined;
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json);
    if (capture === "full") return { bytes, value: redactor.redactValue(value) };
    return { bytes, hmac: createHmac("sha256", key).update(json).digest("hex") };
  };
  return (event) => {
    const payload: Record<string, unknown> = {};
    const fieldsOf = event as unknown as Record<string, unknown>;
    for (const field in fieldsOf) {
      const value = fieldsOf[field];
      if (columnFields.has(field) || value === undefined) continue;
      const capturedAs = capturedFields.get(field);
      if (capturedAs === undefined) payload[field] = typeof value === "string" ? redactor.redact(value) : redactor.redactValue(value);
      else {
        const kept = captured(value);
        if (kept !== undefined) payload[capturedAs] = kept;
      }
    }
    const fields = event as Partial<Record<"providerId" | "correlationId" | "principal", string>>;
    return {
      ts: event.timestamp,
      instance: INSTANCE,
      seq: event.seq,
      source: SOURCE,
      systemId: event.systemId,
      type: event.type,
      provider: fields.providerId ?? null,
      correlationId: fields.correlationId ?? null,
      principal: fields.principal ?? null,
      payload: JSON.stringify(payload),
    };
  };
}

const UNICODE = 'héllo 日本語 😀 "quoted" back\\slash \n\t\u0001 \u2028 tail';

/** Events as the bus stamps them (seq, timestamp, systemId last), in shapes the hangar emits and odd ones. */
function corpus(): StampedDomainEvent[] {
  const stamp = (index: number) => ({ seq: index + 1, timestamp: 1_790_000_000_000 + index, systemId: index % 2 === 0 ? "provider:math" : "provider:ünï" });
  const events: Record<string, unknown>[] = [
    { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "c1", principal: undefined, arguments: { a: 1, b: [1, 2] } },
    { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "c1", principal: undefined, kind: "ok", durationMs: 0.21, toolResult: { content: [{ type: "text", text: "3" }] } },
    { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "c2", principal: "alice", arguments: { text: `say ${SECRET} and ${SHORT_SECRET}`, api_key: "plain", nested: { password: "hunter2", list: [SECRET, 1, null] } } },
    { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "c2", principal: "alice", kind: "tool_error", durationMs: 12, toolResult: { content: [{ type: "text", text: UNICODE }], isError: true } },
    { type: "ToolInvocationFailed", providerId: "math", tool: UNICODE, correlationId: "c3", kind: "timeout", durationMs: 30_000, message: `timed out, key ${SECRET}`, stage: undefined },
    { type: "ToolInvocationRequested", providerId: "math", tool: "echo", correlationId: "c4", arguments: { text: UNICODE, big: "x".repeat(20_000), emoji: "😀".repeat(3_000) } },
    { type: "ToolInvocationRequested", providerId: "math", tool: "echo", correlationId: "c5", arguments: {} },
    { type: "ToolInvocationRequested", providerId: "math", tool: "echo", correlationId: "c6", arguments: [] },
    { type: "ProviderStopped", providerId: "math", reason: "crash", kind: "crash", message: `exited: bad key ${SECRET} ${SHORT_SECRET}` },
    { type: "ConfigReloaded", file: "/etc/hangar.yaml", added: ["a", UNICODE], changed: [], removed: [SECRET], unchanged: 3 },
    { type: "CircuitClosed", providerId: "math" },
    { type: "DiscoverySourceSynced", source: "docker", providerCount: 0 },
    // Odd values: numbers JSON cannot say, booleans, null, a Date, a function, a symbol, an object with toJSON.
    { type: "Odd", providerId: "math", nan: Number.NaN, inf: Number.POSITIVE_INFINITY, negativeZero: -0, large: 1e21, tiny: 5e-324, yes: true, nothing: null },
    { type: "Odd", providerId: "math", when: new Date(0), fn: () => 1, symbol: Symbol("s"), withToJSON: { toJSON: (key: string) => `key:${key}` } },
    { type: "Odd", providerId: "math", arguments: { when: new Date(0), list: [undefined, () => 1, Number.NaN] }, toolResult: { toJSON: (key: string) => `result under ${key}` } },
    // Odd shapes: integer-like keys (ordered first), a key JSON must escape, an own `result` beside the captured one, no providerId.
    { type: "Odd", providerId: "math", zeta: 1, 10: "ten", 2: "two", 'quote"key': UNICODE },
    { type: "Odd", providerId: "math", result: "own", toolResult: { content: [] } },
    { type: "Odd", result: "own, no captured result" },
    { type: "Odd", providerId: "math", arguments: "a string argument", toolResult: 42 },
    // A lone surrogate in a stored text and in the captured value.
    { type: "Odd", providerId: "math", message: "lone \ud800 surrogate", arguments: { text: "lone \udc00" } },
  ];
  return events.map((event, index) => Object.assign(event, stamp(index)) as unknown as StampedDomainEvent);
}

function redactor(): Redactor {
  const redactor = new Redactor();
  redactor.register(SECRET);
  redactor.register(SHORT_SECRET);
  return redactor;
}

/** The row, or the error's message when encoding throws (both forms must throw alike). */
function outcome(encode: () => AuditRow): AuditRow | string {
  try {
    return encode();
  } catch (error) {
    return `throws: ${String(error)}`;
  }
}

/** Each event through the wire the writer thread receives (structured clone included), encoded there; `requests` folded as paired. */
function throughWire(encoder: RowEncoder, events: readonly StampedDomainEvent[], capture: AuditCapture, requests?: readonly (StampedDomainEvent | undefined)[]): (AuditRow | string)[] {
  return walk(encoder, structuredClone(toWire(events, capture, requests)), capture);
}

/** A wire batch's rows, as the writer thread encodes them. */
function walk(encoder: RowEncoder, batch: WireBatch, capture: AuditCapture): (AuditRow | string)[] {
  const rows: (AuditRow | string)[] = [];
  forEachRecord(
    batch,
    (pairs, start, count) => rows.push(outcome(() => encoder.encodePairs(pairs, start, count, capture === "hash"))),
    (event) => rows.push(outcome(() => encoder.encode(event))),
  );
  return rows;
}

const CAPTURES: AuditCapture[] = ["none", "hash", "full"];

describe("audit encoding: the fast forms give the straightforward forms' bytes", () => {
  it("keyed hash: createHmac's digest for short, long and unicode texts under short, block-sized and long keys", () => {
    const scratch = 16 * 1024;
    const texts = [
      "",
      "a",
      UNICODE,
      "lone \ud800",
      JSON.stringify({ content: [{ type: "text", text: "hello" }] }),
      // Around the scratch buffer's size, in 1-, 2-, 3- and 4-byte characters (a character that does not fit is not written).
      ...[scratch - 1, scratch, scratch + 1].map((length) => "x".repeat(length)),
      ...[0, 1, 2, 3].map((shift) => "x".repeat(shift) + "é".repeat(scratch / 2)),
      ...[0, 1, 2, 3].map((shift) => "x".repeat(shift) + "日".repeat(Math.ceil(scratch / 3))),
      ...[0, 1, 2, 3].map((shift) => "x".repeat(shift) + "😀".repeat(scratch / 4)),
    ];
    for (const key of [randomBytes(32), randomBytes(16), randomBytes(64), randomBytes(65), randomBytes(200), Buffer.alloc(0)]) {
      const keyed = keyedSha256(key);
      for (const text of texts) {
        const expected = createHmac("sha256", key).update(text).digest("hex");
        expect(keyed(text), `key of ${key.length} bytes, text of ${text.length} chars`).toBe(expected);
      }
    }
  });

  it("rows from event objects: the same as the straightforward encoder's, for every capture mode", () => {
    const key = randomBytes(32);
    for (const capture of CAPTURES) {
      const fast = createRowEncoder({ capture, key, redactor: redactor(), instance: INSTANCE, source: SOURCE });
      const reference = straightforwardEncoder({ capture, key, redactor: redactor() });
      for (const event of corpus()) {
        expect(outcome(() => fast.encode(event)), `${capture}: ${event.type} #${event.seq}`).toEqual(outcome(() => reference(event)));
      }
    }
  });

  it("rows from the writer thread's wire: the same as the straightforward encoder's from the objects", () => {
    const key = randomBytes(32);
    const events = corpus();
    for (const capture of CAPTURES) {
      const fast = createRowEncoder({ capture, key, redactor: redactor(), instance: INSTANCE, source: SOURCE });
      const reference = straightforwardEncoder({ capture, key, redactor: redactor() });
      // Functions and symbols cannot cross to a thread (the writer then sends the batch without them): left out here.
      const cloneable = events.filter((event) => {
        try {
          structuredClone(toWire([event], capture));
          return true;
        } catch {
          return false;
        }
      });
      expect(cloneable.length).toBeGreaterThan(events.length - 4);
      expect(throughWire(fast, cloneable, capture), capture).toEqual(cloneable.map((event) => outcome(() => reference(event))));
    }
  });

  it("a wire batch walked again gives the same rows: the thread encodes a batch again to keep it for the retry when its write fails", () => {
    const key = randomBytes(32);
    const encoder = createRowEncoder({ capture: "hash", key, redactor: redactor(), instance: INSTANCE, source: SOURCE });
    // Repeated strings travel once (the second event's provider, tool, correlation id): the second walk must still find them.
    const cloneable = corpus().filter((event) => {
      try {
        structuredClone(toWire([event], "hash"));
        return true;
      } catch {
        return false;
      }
    });
    const batch = structuredClone(toWire(cloneable, "hash"));
    const sent = structuredClone(batch);
    const first = walk(encoder, batch, "hash");
    expect(batch).toEqual(sent);
    expect(walk(encoder, batch, "hash")).toEqual(first);
  });

  it("the wire sends a repeated string once per batch, and events whose captured values have no JSON text as objects", () => {
    const events = corpus().slice(0, 2);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    events.push({ ...events[0], seq: 3, arguments: cyclic } as unknown as StampedDomainEvent);
    events.push({ ...events[0], seq: 4, arguments: { big: 10n } } as unknown as StampedDomainEvent);
    const wire = toWire(events, "hash");
    // The second event repeats the provider, tool, correlation id and system id of the first.
    expect(wire.fields.filter((value) => value === "math")).toHaveLength(1);
    expect(wire.fields.filter((value) => value === "c1")).toHaveLength(1);
    expect(wire.fields.filter((value) => typeof value === "object" && value !== null)).toHaveLength(2);
    const key = randomBytes(32);
    const fast = createRowEncoder({ capture: "hash", key, redactor: redactor(), instance: INSTANCE, source: SOURCE });
    const reference = straightforwardEncoder({ capture: "hash", key, redactor: redactor() });
    expect(throughWire(fast, events, "hash")).toEqual(events.map((event) => outcome(() => reference(event))));
  });

  it("a paired batch through the wire: each answer's record with its request folded in gives the merged object's row", () => {
    const stamp = (index: number) => ({ seq: index + 1, timestamp: 1_790_000_000_000 + index, systemId: "provider:math" });
    const calls: Record<string, unknown>[] = [
      // Answered: arguments with secrets and unicode; an answer with no durationMs (requestedAt); an answer with its own odd `arguments`.
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p1", principal: "alice", arguments: { text: `say ${SECRET}`, u: UNICODE } },
      { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "p1", principal: "alice", kind: "ok", durationMs: 0.5, toolResult: { content: [{ type: "text", text: UNICODE }] } },
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p2", arguments: { a: 1 } },
      { type: "ToolInvocationFailed", providerId: "math", tool: "add", correlationId: "p2", kind: "crash", message: `died ${SECRET}` },
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p3", arguments: [] },
      { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "p3", kind: "ok", durationMs: 1, arguments: "its own", requestedAt: 7 },
      // A request without arguments, and one whose arguments have no JSON text (the record goes as the merged object).
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p4" },
      { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "p4", kind: "ok", durationMs: 1 },
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p5", arguments: { big: 10n } },
      { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "p5", kind: "ok", durationMs: 1 },
      // In flight: stays a request of its own.
      { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "p6", arguments: { a: 6 } },
    ];
    const events = calls.map((event, index) => Object.assign(event, stamp(index)) as unknown as StampedDomainEvent);
    const key = randomBytes(32);
    for (const capture of CAPTURES) {
      const paired = new CallPairing(capture).pair(events);
      const completedType = "ToolInvocationCompleted";
      expect(paired.events.map((event) => event.type)).toEqual([completedType, "ToolInvocationFailed", completedType, completedType, completedType, "ToolInvocationRequested"]);
      const merged = paired.events.map((event, index) => mergedEvent(event, paired.requests?.[index], capture));
      const fast = createRowEncoder({ capture, key, redactor: redactor(), instance: INSTANCE, source: SOURCE });
      const reference = straightforwardEncoder({ capture, key, redactor: redactor() });
      const expected = merged.map((event) => outcome(() => reference(event)));
      expect(merged.map((event) => outcome(() => fast.encode(event))), capture).toEqual(expected);
      expect(throughWire(fast, paired.events, capture, paired.requests), capture).toEqual(expected);
      const failedRow = expected[1] as AuditRow;
      expect(JSON.parse(failedRow.payload)).toMatchObject({ requestedAt: 1_790_000_000_002 });
    }
  });
});
