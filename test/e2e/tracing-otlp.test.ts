import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixtureCommand, useE2E, type RunningHangar } from "../helpers/cli.js";
import { startReceiver, type ReceivedSpan, type Receiver } from "../helpers/otlp-receiver.js";

/**
 * Tracing through real processes: the built hangar exports its spans with the OTLP/HTTP (JSON)
 * exporter to a receiver in this test, which decodes the real payload; the fixture provider
 * answers with the `_meta` it received, so the test sees the `traceparent` the hangar sent on.
 */
const e2e = useE2E();
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(): Promise<Receiver> {
  const started = await startReceiver();
  receivers.push(started);
  return started;
}

/** Short batch delay: spans reach the receiver a moment after each call. */
const FAST_EXPORT = { OTEL_BSP_SCHEDULE_DELAY: "50" };

const rawResult = z.custom<{ content: { type: string; text?: string }[]; isError?: boolean }>((value) => typeof value === "object" && value !== null);

/** tools/call with a client-chosen `_meta`. */
function callWithMeta(hangar: RunningHangar, name: string, args: Record<string, unknown>, meta: Record<string, unknown>) {
  return hangar.client.request({ method: "tools/call", params: { name, arguments: args, _meta: meta } }, rawResult, { timeout: 20_000 });
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

function tracingConfig(marker: string, url: string, extra: Record<string, unknown> = {}) {
  return {
    // Predefined tools: the flat names exist before the provider's first start.
    providers: { meta: { command: fixtureCommand("meta-server.js", marker), tools: [{ name: "meta" }, { name: "echo" }, { name: "fail" }] } },
    observability: { tracing: { enabled: true, otlp_endpoint: url, service_name: "hangar-under-test", ...extra } },
  };
}

describe("tracing over OTLP/HTTP", () => {
  it("exports a call's spans parented to the incoming traceparent, and the provider joins the same trace", async () => {
    const collector = await receiver();
    const hangar = await e2e.start(tracingConfig(e2e.marker(), collector.url), {
      env: FAST_EXPORT,
      args: ["--log-format", "json", "--log-level", "debug"],
    });
    const traceId = hex(16);
    const clientSpanId = hex(8);
    const result = await callWithMeta(hangar, "meta__meta", { note: "hello" }, { traceparent: `00-${traceId}-${clientSpanId}-01` });
    const received = JSON.parse(result.content[0]?.text ?? "{}") as Record<string, unknown>;

    const call = await collector.waitForSpan((span) => span.name === "mcp.tools/call meta", "the call's span");
    expect(call.traceId).toBe(traceId);
    expect(call.parentSpanId).toBe(clientSpanId);
    expect(call.attributes).toMatchObject({
      "mcp.method.name": "tools/call",
      "mcp.provider.id": "meta",
      "mcp.tool.name": "meta",
      "mcp.outcome": "ok",
    });
    expect(call.attributes["mcp.session.id"]).toEqual(expect.any(String));
    expect(call.attributes["enduser.id"]).toBeUndefined();
    expect(call.resource["service.name"]).toBe("hangar-under-test");
    expect(call.scope).toBe("mcp-hangar");

    // The first call started the provider: a cold start and a wait in the queue, then the request.
    const children = (name: string): ReceivedSpan[] => collector.spans().filter((span) => span.name === name && span.parentSpanId === call.spanId);
    const attempt = await collector.waitForSpan((span) => span.name === "mcp.provider.call meta", "the provider call span");
    expect(attempt.parentSpanId).toBe(call.spanId);
    expect(attempt.traceId).toBe(traceId);
    expect(attempt.attributes).toMatchObject({ "mcp.provider.id": "meta", "mcp.attempt": 1, "mcp.outcome": "ok" });
    expect(children("mcp.provider.cold_start")).toHaveLength(1);
    expect(children("mcp.provider.queue")).toHaveLength(1);

    // The provider received the hangar's traceparent: same trace, parent = the provider call span.
    expect(received.traceparent).toBe(`00-${traceId}-${attempt.spanId}-01`);

    // State transitions are span events of the call.
    const transitions = call.events.filter((event) => event.name === "mcp.provider.state_changed").map((event) => `${String(event.attributes["mcp.state.from"])}→${String(event.attributes["mcp.state.to"])}`);
    expect(transitions).toEqual(["COLD→INITIALIZING", "INITIALIZING→READY"]);

    // JSON log lines written inside the call's span carry its ids.
    const lines = hangar
      .stderr()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const inSpan = lines.filter((line) => line.trace_id === traceId);
    expect(inSpan.map((line) => line.msg)).toContain("provider meta: COLD → INITIALIZING (first call)");
    expect(inSpan.every((line) => typeof line.span_id === "string")).toBe(true);
    expect(lines.find((line) => typeof line.msg === "string" && line.msg.startsWith("mcp-hangar") && line.msg.includes("serving"))?.trace_id).toBeUndefined();
  });

  it("records a group member's cold start as a child span of the call, like a direct call's", async () => {
    const collector = await receiver();
    const marker = e2e.marker();
    const config = tracingConfig(marker, collector.url);
    const hangar = await e2e.start({ ...config, providers: { ...config.providers, pool: { mode: "group", members: ["meta"] } } }, { env: FAST_EXPORT });
    await callWithMeta(hangar, "pool__echo", { text: "through the group" }, {});

    const call = await collector.waitForSpan((span) => span.name === "mcp.tools/call echo", "the group call's span");
    expect(call.attributes).toMatchObject({ "mcp.provider.id": "pool", "mcp.outcome": "ok" });
    const attempt = await collector.waitForSpan((span) => span.name === "mcp.provider.call echo", "the member call span");
    expect(attempt.parentSpanId).toBe(call.spanId);
    expect(attempt.attributes).toMatchObject({ "mcp.provider.id": "meta", "mcp.attempt": 1 });
    const coldStart = await collector.waitForSpan((span) => span.name === "mcp.provider.cold_start", "the member's cold start span");
    expect(coldStart.parentSpanId).toBe(call.spanId);
    expect(coldStart.traceId).toBe(call.traceId);
    expect(coldStart.attributes).toMatchObject({ "mcp.provider.id": "meta", "mcp.state.from": "COLD" });
    expect(coldStart.attributes["process.pid"]).toEqual(expect.any(Number));
    const queue = await collector.waitForSpan((span) => span.name === "mcp.provider.queue", "the wait for the member");
    expect(queue.parentSpanId).toBe(call.spanId);
    const transitions = call.events.filter((event) => event.name === "mcp.provider.state_changed").map((event) => `${String(event.attributes["mcp.provider.id"])}:${String(event.attributes["mcp.state.to"])}`);
    expect(transitions).toEqual(["meta:INITIALIZING", "meta:READY"]);
  });

  it("starts a new trace without an incoming traceparent, records a warm call without a cold start, and marks failures", async () => {
    const collector = await receiver();
    const hangar = await e2e.start(tracingConfig(e2e.marker(), collector.url), { env: FAST_EXPORT });
    await callWithMeta(hangar, "meta__echo", { text: "warm-up" }, {});
    const result = await callWithMeta(hangar, "meta__meta", {}, {});
    const received = JSON.parse(result.content[0]?.text ?? "{}") as Record<string, unknown>;
    const failed = await callWithMeta(hangar, "meta__fail", {}, {});
    expect(failed.isError).toBe(true);

    const call = await collector.waitForSpan((span) => span.name === "mcp.tools/call meta", "the warm call's span");
    expect(call.parentSpanId).toBeUndefined();
    expect(received.traceparent).toMatch(new RegExp(`^00-${call.traceId}-[0-9a-f]{16}-01$`));
    const childNames = collector.spans().filter((span) => span.parentSpanId === call.spanId).map((span) => span.name);
    expect(childNames).toEqual(["mcp.provider.call meta"]);

    const failure = await collector.waitForSpan((span) => span.name === "mcp.tools/call fail", "the failed call's span");
    expect(failure.attributes).toMatchObject({ "mcp.outcome": "tool_error", "error.type": "tool_error" });
    expect(failure.status.code).toBe(2); // ERROR
  });
});
