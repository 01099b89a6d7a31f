import type { CallOutcome } from "../../src/machines/call.js";
import { describe, expect, it } from "vitest";
import { fromCallback } from "xstate";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testSpec } from "../helpers/specs.js";
import { finishCall } from "../helpers/finish-call.js";

/** A connection that is ready at once and answers every call with the provider id. */
const instantConnection = fromCallback<ConnectionCallEvent, ConnectionInput>(({ input, sendBack, receive }) => {
  queueMicrotask(() => {
    sendBack({ type: "CONNECTION.READY", tools: [{ name: "who", inputSchema: { type: "object" } }], pid: 1, serverInfo: undefined, protocolVersion: undefined });
  });
  receive((event) => {
    for (const call of callsOf(event)) {
      const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [{ type: "text", text: input.spec.id }] } };
      finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 }, sendBack);
    }
  });
});

function runtimeWith(ids: string[]): HangarRuntime {
  return new HangarRuntime(
    { source: "test.yaml", expose: "both", providers: ids.map((id) => testSpec({ id })) },
    { connection: instantConnection },
  ).start();
}

describe("hangar supervisor", () => {
  it("spawns one provider actor per provider, reachable by systemId", () => {
    const runtime = runtimeWith(["a", "b"]);
    expect(runtime.providerIds()).toEqual(["a", "b"]);
    expect(runtime.view("a")?.state).toBe("COLD");
    void runtime.shutdown();
  });

  it("routes each call to its provider and answers through the carried resolver", async () => {
    const runtime = runtimeWith(["a", "b"]);
    const [fromA, fromB] = await Promise.all([runtime.invoke("a", "who", {}), runtime.invoke("b", "who", {})]);
    expect(fromA).toMatchObject({ status: "result", result: { content: [{ text: "a" }] } });
    expect(fromB).toMatchObject({ status: "result", result: { content: [{ text: "b" }] } });
    await runtime.shutdown();
  });

  it("refuses an unknown provider, naming the known ones", async () => {
    const runtime = runtimeWith(["a", "b"]);
    await expect(runtime.invoke("zzz", "who", {})).resolves.toEqual({
      status: "failure",
      kind: "rejected",
      message: "unknown provider 'zzz'; known providers: a, b",
    });
    await expect(runtime.startProvider("zzz")).resolves.toMatchObject({ ok: false, kind: "rejected" });
    await runtime.shutdown();
  });

  it("reports status, starts and stops providers on request", async () => {
    const runtime = runtimeWith(["a", "b"]);
    await expect(runtime.startProvider("a")).resolves.toEqual({ ok: true });
    expect((await runtime.status()).map((view) => [view.id, view.state])).toEqual([
      ["a", "READY"],
      ["b", "COLD"],
    ]);
    await runtime.stopProvider("a");
    expect(runtime.view("a")?.state).toBe("COLD");
    await runtime.shutdown();
  });

  it("lists every provider's tools: predefined before the first start, live after", async () => {
    const runtime = new HangarRuntime(
      {
        source: "test.yaml",
        expose: "both",
        providers: [testSpec({ id: "a", tools: [{ name: "predefined", inputSchema: { type: "object" } }] }), testSpec({ id: "b" })],
      },
      { connection: instantConnection },
    ).start();
    const names = (tools: Record<string, { tool: { name: string }; source: string }[]>) =>
      Object.fromEntries(Object.entries(tools).map(([id, list]) => [id, list.map((item) => `${item.tool.name}:${item.source}`)]));
    expect(names(await runtime.listTools())).toEqual({ a: ["predefined:predefined"], b: [] });
    await runtime.startProvider("b");
    expect(names(await runtime.listTools())).toEqual({ a: ["predefined:predefined"], b: ["who:live"] });
    await runtime.shutdown();
  });

  it("publishes the providers' domain events on one bus, stamped in order with the systemId", async () => {
    const runtime = runtimeWith(["a"]);
    const seen: StampedDomainEvent[] = [];
    runtime.events.subscribe((event) => seen.push(event));
    await runtime.invoke("a", "who", {});
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((event) => event.systemId === "provider:a")).toBe(true);
    expect(seen.map((event) => event.seq)).toEqual([...seen.map((event) => event.seq)].sort((x, y) => x - y));
    expect(seen.map((event) => event.type)).toContain("ToolInvocationCompleted");
    await runtime.shutdown();
  });

  it("shutdown stops every provider gracefully and announces it", async () => {
    const runtime = runtimeWith(["a", "b"]);
    const stopped: string[] = [];
    runtime.events.subscribe((event) => {
      if (event.type === "ProviderStopped") stopped.push(`${event.providerId}:${event.reason}`);
    });
    await runtime.startProvider("a");
    await runtime.startProvider("b");
    await runtime.shutdown();
    expect(stopped.sort()).toEqual(["a:shutdown", "b:shutdown"]);
  });
});
