import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CallOutcome, CallTrace } from "../../../src/machines/call.js";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import { configureLog, log, resetLog, setLogCorrelation } from "../../../src/observability/log.js";
import { CallSpans } from "../../../src/observability/tracing/call-spans.js";
import type { TracedCall } from "../../../src/observability/tracing/call-tracer.js";
import { activeSpanIds } from "../../../src/observability/tracing/log-correlation.js";

/**
 * The call-span observer against the real OpenTelemetry SDK (in-memory exporter): the call path
 * opens and ends spans, domain events published on a real bus fill in the children and events.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  // As the hangar does: the active span follows async work (AsyncLocalStorage).
  provider.register();
});

afterAll(async () => {
  await provider.shutdown();
});

let bus: DomainEventBus;
let spans: CallSpans;

beforeEach(() => {
  exporter.reset();
  bus = new DomainEventBus();
  spans = new CallSpans(provider.getTracer("mcp-hangar"), { probeSampleRatio: 0 });
  spans.observe(bus);
});

const OK: CallOutcome = { status: "result", kind: "ok", result: { content: [] } };

function call(correlationId: string, overrides: Partial<TracedCall> = {}): TracedCall {
  return {
    providerId: "math",
    tool: "add",
    arguments: { a: 1 },
    correlationId,
    principal: undefined,
    sessionId: "session-1",
    meta: undefined,
    headers: undefined,
    ...overrides,
  };
}

function finished(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

function only(name: string): ReadableSpan {
  const found = finished(name);
  expect(found, name).toHaveLength(1);
  return found[0] as ReadableSpan;
}

/** A deferred answer, so a test can publish events while the call is open. */
function pending(): { promise: Promise<CallOutcome>; resolve: (outcome: CallOutcome) => void } {
  let resolve: (outcome: CallOutcome) => void = () => undefined;
  const promise = new Promise<CallOutcome>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("call spans", () => {
  it("records a cold start and the queue for the call that set it off, and for a call that joined the queue", async () => {
    const first = pending();
    const second = pending();
    let firstTrace: CallTrace | undefined;
    let secondTrace: CallTrace | undefined;
    const one = spans.traceCall(call("c1"), (t) => {
      firstTrace = t;
      bus.publish("provider:math", { type: "ProviderStateChanged", providerId: "math", from: "COLD", to: "INITIALIZING", reason: "first call" });
      return first.promise;
    });
    const two = spans.traceCall(call("c2"), (t) => {
      secondTrace = t;
      return second.promise;
    });
    bus.publish("provider:math", { type: "ProviderStarted", providerId: "math", pid: 4242, toolCount: 3, durationMs: 12 });
    bus.publish("provider:math", { type: "ProviderStateChanged", providerId: "math", from: "INITIALIZING", to: "READY", reason: "ready" });
    const meta1 = firstTrace?.dispatch("math");
    const meta2 = secondTrace?.dispatch("math");
    bus.publish("provider:math", { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "c1", kind: "ok", durationMs: 3 });
    bus.publish("provider:math", { type: "ToolInvocationCompleted", providerId: "math", tool: "add", correlationId: "c2", kind: "ok", durationMs: 3 });
    first.resolve(OK);
    second.resolve(OK);
    await Promise.all([one, two]);

    const calls = finished("mcp.tools/call add");
    expect(calls).toHaveLength(2);
    const [c1, c2] = calls.sort((a, b) => String(a.attributes["mcp.correlation.id"]).localeCompare(String(b.attributes["mcp.correlation.id"])));
    const coldStart = only("mcp.provider.cold_start");
    expect(coldStart.parentSpanContext?.spanId).toBe(c1?.spanContext().spanId);
    expect(coldStart.attributes).toMatchObject({ "process.pid": 4242, "mcp.provider.tool_count": 3 });
    const queues = finished("mcp.provider.queue").map((span) => span.parentSpanContext?.spanId);
    expect(queues.sort()).toEqual([c1?.spanContext().spanId, c2?.spanContext().spanId].sort());
    const attempts = finished("mcp.provider.call add");
    expect(attempts).toHaveLength(2);
    // What goes into _meta names the attempt span, in the call's trace.
    const attempt1 = attempts.find((span) => span.parentSpanContext?.spanId === c1?.spanContext().spanId);
    expect(meta1?.traceparent).toBe(`00-${c1?.spanContext().traceId}-${attempt1?.spanContext().spanId}-01`);
    expect(meta2?.traceparent).toMatch(new RegExp(`^00-${c2?.spanContext().traceId}-`));
    // c2 arrived while INITIALIZING: it only heard the move to READY.
    expect(c2?.events.map((event) => event.attributes?.["mcp.state.to"])).toEqual(["READY"]);
    expect(c1?.events.map((event) => event.attributes?.["mcp.state.to"])).toEqual(["INITIALIZING", "READY"]);
  });

  it("marks a failed start on the cold start span, the queue and the call", async () => {
    const outcome: CallOutcome = { status: "failure", kind: "start_failed", message: "exited with code 1" };
    await spans.traceCall(call("c1"), () => {
      bus.publish("provider:math", { type: "ProviderStateChanged", providerId: "math", from: "COLD", to: "INITIALIZING", reason: "first call" });
      bus.publish("provider:math", { type: "ProviderStateChanged", providerId: "math", from: "INITIALIZING", to: "COLD", reason: "start failed" });
      return Promise.resolve(outcome);
    });
    expect(only("mcp.provider.cold_start").status).toMatchObject({ code: 2, message: "start failed" });
    expect(only("mcp.provider.queue").attributes["error.type"]).toBe("start_failed");
    const callSpan = only("mcp.tools/call add");
    expect(callSpan.attributes).toMatchObject({ "mcp.outcome": "start_failed", "error.type": "start_failed" });
    expect(callSpan.status).toMatchObject({ code: 2, message: "exited with code 1" });
  });

  it("records a group member's cold start and queue as children of the call, as for a direct call", async () => {
    await spans.traceCall(call("g1", { providerId: "pool" }), (t) => {
      // The group picked member-a, which was COLD: the call set its start off.
      t.route("member-a");
      bus.publish("provider:member-a", { type: "ProviderStateChanged", providerId: "member-a", from: "COLD", to: "INITIALIZING", reason: "first call" });
      bus.publish("provider:member-a", { type: "ProviderStarted", providerId: "member-a", pid: 777, toolCount: 2, durationMs: 9 });
      bus.publish("provider:member-a", { type: "ProviderStateChanged", providerId: "member-a", from: "INITIALIZING", to: "READY", reason: "ready" });
      t.dispatch("member-a");
      bus.publish("provider:member-a", { type: "ToolInvocationCompleted", providerId: "member-a", tool: "add", correlationId: "g1", kind: "ok", durationMs: 2 });
      return Promise.resolve(OK);
    });
    const callSpan = only("mcp.tools/call add");
    expect(callSpan.attributes).toMatchObject({ "mcp.provider.id": "pool" });
    const coldStart = only("mcp.provider.cold_start");
    expect(coldStart.parentSpanContext?.spanId).toBe(callSpan.spanContext().spanId);
    expect(coldStart.attributes).toMatchObject({ "mcp.provider.id": "member-a", "process.pid": 777, "mcp.provider.tool_count": 2 });
    expect(only("mcp.provider.queue").parentSpanContext?.spanId).toBe(callSpan.spanContext().spanId);
    const attempt = only("mcp.provider.call add");
    expect(attempt.attributes).toMatchObject({ "mcp.provider.id": "member-a", "mcp.attempt": 1 });
    expect(attempt.attributes["mcp.attempt.kind"]).toBeUndefined();
    expect(callSpan.events.map((event) => event.attributes?.["mcp.state.to"])).toEqual(["INITIALIZING", "READY"]);
  });

  it("records retries and failovers as further attempts", async () => {
    await spans.traceCall(call("c1", { providerId: "pool" }), (t) => {
      t.dispatch("member-a");
      bus.publish("provider:member-a", { type: "ToolInvocationFailed", providerId: "member-a", tool: "add", correlationId: "c1", kind: "timeout", message: "slow" });
      bus.publish("group:pool", {
        type: "GroupCallRetried",
        groupId: "pool",
        tool: "add",
        correlationId: "c1",
        failedMember: "member-a",
        kind: "timeout",
        nextMember: "member-b",
      });
      t.dispatch("member-b");
      bus.publish("provider:member-b", { type: "ToolInvocationCompleted", providerId: "member-b", tool: "add", correlationId: "c1", kind: "ok", durationMs: 2 });
      return Promise.resolve(OK);
    });
    const attempts = finished("mcp.provider.call add").map((span) => span.attributes);
    expect(attempts).toEqual([
      expect.objectContaining({ "mcp.provider.id": "member-a", "mcp.attempt": 1, "mcp.outcome": "timeout", "error.type": "timeout" }),
      expect.objectContaining({ "mcp.provider.id": "member-b", "mcp.attempt": 2, "mcp.attempt.kind": "failover", "mcp.outcome": "ok" }),
    ]);
    const events = only("mcp.tools/call add").events;
    expect(events.map((event) => event.name)).toEqual(["mcp.group.retry", "failover"]);
    expect(events[0]?.attributes).toMatchObject({ "mcp.group.id": "pool", "mcp.provider.id": "member-a", "error.type": "timeout", "mcp.group.next_member": "member-b" });
  });

  it("continues an incoming traceparent from _meta, else from the HTTP header", async () => {
    const fromMeta = "0af7651916cd43dd8448eb211c80319c";
    const fromHeader = "4bf92f3577b34da6a3ce929d0e0e4736";
    await spans.traceCall(call("m", { meta: { traceparent: `00-${fromMeta}-b7ad6b7169203331-01` }, headers: { traceparent: `00-${fromHeader}-00f067aa0ba902b7-01` } }), () => Promise.resolve(OK));
    await spans.traceCall(call("h", { headers: { traceparent: `00-${fromHeader}-00f067aa0ba902b7-01` } }), () => Promise.resolve(OK));
    await spans.traceCall(call("bad", { meta: { traceparent: "not a traceparent" } }), () => Promise.resolve(OK));
    const byId = Object.fromEntries(finished("mcp.tools/call add").map((span) => [String(span.attributes["mcp.correlation.id"]), span]));
    expect(byId.m?.spanContext().traceId).toBe(fromMeta);
    expect(byId.m?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
    expect(byId.h?.spanContext().traceId).toBe(fromHeader);
    expect(byId.bad?.parentSpanContext).toBeUndefined();
  });

  it("puts user and session on the call span, and writes log lines inside it with its ids", async () => {
    const lines: string[] = [];
    configureLog({ sink: (line) => lines.push(line), format: "json" });
    setLogCorrelation(activeSpanIds);
    let lingering: Promise<void> = Promise.resolve();
    try {
      await spans.traceCall(call("c1", { principal: "alice" }), async () => {
        await Promise.resolve();
        log.info("inside the call");
        // Work started inside the call that outlives it (a provider process it cold-started).
        lingering = new Promise((resolve) => setTimeout(resolve, 5)).then(() => {
          log.info("after the call, in its context");
        });
        return OK;
      });
      log.info("outside");
      await lingering;
    } finally {
      resetLog();
    }
    const span = only("mcp.tools/call add");
    expect(span.attributes).toMatchObject({ "enduser.id": "alice", "mcp.session.id": "session-1", "mcp.provider.id": "math", "mcp.tool.name": "add" });
    const [inside, outside, after] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(inside).toMatchObject({ msg: "inside the call", trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(Object.keys(inside ?? {}).slice(0, 5)).toEqual(["time", "level", "msg", "trace_id", "span_id"]);
    expect(outside?.trace_id).toBeUndefined();
    expect(after).toMatchObject({ msg: "after the call, in its context" });
    expect(after?.trace_id).toBeUndefined();
  });

  it("records health probes only when sampled", () => {
    bus.publish("provider:math", { type: "HealthCheckPassed", providerId: "math", method: "ping", durationMs: 4 });
    expect(finished("mcp.health_probe")).toHaveLength(0);
    const sampled = new CallSpans(provider.getTracer("mcp-hangar"), { probeSampleRatio: 1 });
    const unsubscribe = sampled.observe(bus);
    bus.publish("provider:math", { type: "HealthCheckFailed", providerId: "math", message: "no answer", consecutiveFailures: 1 });
    unsubscribe();
    const probe = only("mcp.health_probe");
    expect(probe.parentSpanContext).toBeUndefined();
    expect(probe.attributes).toMatchObject({ "mcp.provider.id": "math", "error.type": "health_check_failed" });
  });
});
