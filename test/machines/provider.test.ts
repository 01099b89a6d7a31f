import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { createActor, fromCallback, waitFor } from "xstate";
import type { CallOutcome } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { providerMachine } from "../../src/machines/provider.js";
import type { DomainEvent } from "../../src/shared/domain-events.js";
import { testSpec } from "../helpers/specs.js";

/**
 * The chart driven through a scripted connection (no process): the chart's own behaviour —
 * single flight, queueing, idle stop, failure handling — without any I/O. Real processes are
 * covered by the integration tests.
 */
interface FakeConnectionControl {
  starts: number;
  stops: number;
  ready: (tools?: Tool[]) => void;
  /** READY before the provider's list: its predefined tools stand in (see CONNECTION.READY). */
  readyUnlisted: () => void;
  toolsChanged: (tools: Tool[]) => void;
  fail: (kind: "start_failed" | "crash", message: string) => void;
}

function fakeConnection(control: FakeConnectionControl, { autoReady = false } = {}) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    control.starts += 1;
    const send = (event: ConnectionEvent): void => {
      sendBack(event);
    };
    control.ready = (tools = [{ name: "add", inputSchema: { type: "object" } }]) => {
      send({ type: "CONNECTION.READY", tools, pid: 1000 + control.starts, serverInfo: undefined, protocolVersion: undefined });
    };
    control.readyUnlisted = () => {
      send({ type: "CONNECTION.READY", tools: undefined, pid: 1000 + control.starts, serverInfo: undefined, protocolVersion: undefined });
    };
    control.toolsChanged = (tools) => {
      send({ type: "CONNECTION.TOOLS_CHANGED", tools });
    };
    control.fail = (kind, message) => {
      send({ type: "CONNECTION.FAILED", kind, message });
    };
    receive((event) => {
      for (const call of callsOf(event)) {
        const args = call.arguments as { a: number; b: number };
        call.reply({ status: "result", kind: "ok", result: { content: [{ type: "text", text: String(args.a + args.b) }] } });
        send({ type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 });
      }
    });
    if (autoReady) {
      queueMicrotask(() => {
        control.ready();
      });
    }
    return () => {
      control.stops += 1;
    };
  });
}

function newControl(): FakeConnectionControl {
  return { starts: 0, stops: 0, ready: () => undefined, readyUnlisted: () => undefined, toolsChanged: () => undefined, fail: () => undefined };
}

function invoke(actor: { send: (event: never) => void }, a: number, b: number): Promise<CallOutcome> {
  return new Promise((resolve) => {
    actor.send({ type: "INVOKE", call: { tool: "add", arguments: { a, b }, correlationId: `${a}+${b}`, reply: resolve } } as never);
  });
}

describe("provider chart with a scripted connection", () => {
  it("single flight: 50 concurrent first calls cause one start and 50 answers", async () => {
    const control = newControl();
    const actor = createActor(providerMachine.provide({ actors: { connection: fakeConnection(control) } }), {
      input: { spec: testSpec() },
    }).start();
    const answers = Array.from({ length: 50 }, (_, i) => invoke(actor, i, 1));
    expect(actor.getSnapshot().context.state).toBe("INITIALIZING");
    expect(actor.getSnapshot().context.queue).toHaveLength(50);
    control.ready();
    const results = await Promise.all(answers);
    expect(control.starts).toBe(1);
    results.forEach((outcome, i) => {
      expect(outcome).toMatchObject({ status: "result", result: { content: [{ type: "text", text: String(i + 1) }] } });
    });
    expect(actor.getSnapshot().context).toMatchObject({ state: "READY", inFlight: 0, stats: { calls: 50 } });
    actor.stop();
  });

  it("start failure: queued calls and start waiters get the reason; the error is kept in COLD", async () => {
    const control = newControl();
    const actor = createActor(providerMachine.provide({ actors: { connection: fakeConnection(control) } }), {
      input: { spec: testSpec() },
    }).start();
    const call = invoke(actor, 1, 2);
    const started = new Promise((resolve) => {
      actor.send({ type: "START", reply: resolve });
    });
    control.fail("start_failed", "exited with code 1");
    await expect(call).resolves.toMatchObject({ status: "failure", kind: "start_failed", message: "exited with code 1" });
    await expect(started).resolves.toMatchObject({ ok: false, kind: "start_failed" });
    const { context } = actor.getSnapshot();
    expect(context.state).toBe("COLD");
    expect(context.lastError).toMatchObject({ kind: "start_failed", message: "exited with code 1" });
    expect(control.stops).toBe(1);
    actor.stop();
  });

  it("startup timeout stops the connection and reports start_failed", async () => {
    const control = newControl();
    const actor = createActor(providerMachine.provide({ actors: { connection: fakeConnection(control) } }), {
      input: { spec: testSpec({ startupTimeoutS: 0.05 }) },
    }).start();
    const outcome = await invoke(actor, 1, 2);
    expect(outcome).toMatchObject({ status: "failure", kind: "start_failed" });
    expect(outcome.status === "failure" && outcome.message).toContain("startup_timeout_s");
    expect(control.stops).toBe(1);
    expect(actor.getSnapshot().context.state).toBe("COLD");
    actor.stop();
  });

  it("idle stop after idle_ttl_s with nothing in flight; cached tools survive; the next call starts again", async () => {
    const control = newControl();
    const events: DomainEvent[] = [];
    const actor = createActor(
      providerMachine.provide({ actors: { connection: fakeConnection(control, { autoReady: true }) } }),
      { input: { spec: testSpec({ idleTtlS: 0.05 }) } },
    );
    actor.on("*", (event) => events.push(event));
    actor.start();
    await expect(invoke(actor, 2, 2)).resolves.toMatchObject({ status: "result" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "COLD", { timeout: 2000 });
    expect(control.stops).toBe(1);
    expect(actor.getSnapshot().context.liveTools?.map((tool) => tool.name)).toEqual(["add"]);
    expect(events).toContainEqual(expect.objectContaining({ type: "ProviderStopped", reason: "idle" }));
    await expect(invoke(actor, 3, 3)).resolves.toMatchObject({ status: "result" });
    expect(control.starts).toBe(2);
    actor.stop();
  });

  it("takes calls on a READY whose tools are not listed yet, keeps what was known, and announces tools only when the list comes", async () => {
    const control = newControl();
    const events: DomainEvent[] = [];
    const predefined: Tool[] = [{ name: "add", inputSchema: { type: "object" } }];
    const listed: Tool[] = [...predefined, { name: "mul", inputSchema: { type: "object" } }];
    const actor = createActor(providerMachine.provide({ actors: { connection: fakeConnection(control) } }), {
      input: { spec: testSpec({ tools: predefined }) },
    });
    actor.on("*", (event) => events.push(event));
    actor.start();
    const first = invoke(actor, 2, 2);
    await waitFor(actor, (snapshot) => snapshot.context.state === "INITIALIZING", { timeout: 2000 });
    control.readyUnlisted();
    await expect(first).resolves.toMatchObject({ status: "result" });
    expect(actor.getSnapshot().context.state).toBe("READY");
    expect(actor.getSnapshot().context.liveTools).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ type: "ProviderStarted", toolCount: 1 }));
    expect(events.filter((event) => event.type === "ProviderToolsChanged")).toEqual([]);

    control.toolsChanged(listed);
    expect(actor.getSnapshot().context.liveTools).toEqual(listed);
    expect(events).toContainEqual(expect.objectContaining({ type: "ProviderToolsChanged", toolCount: 2 }));

    // A later start that has not listed yet keeps the last list rather than forgetting it.
    actor.send({ type: "STOP", reason: "manual" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "COLD", { timeout: 2000 });
    actor.send({ type: "START" });
    await waitFor(actor, (snapshot) => snapshot.context.state === "INITIALIZING", { timeout: 2000 });
    control.readyUnlisted();
    expect(actor.getSnapshot().context.state).toBe("READY");
    expect(actor.getSnapshot().context.liveTools).toEqual(listed);
    expect(events.filter((event) => event.type === "ProviderStarted").at(-1)).toMatchObject({ toolCount: 2 });
    actor.stop();
  });

  it("announces state changes and call outcomes as domain events", async () => {
    const control = newControl();
    const events: DomainEvent[] = [];
    const actor = createActor(
      providerMachine.provide({ actors: { connection: fakeConnection(control, { autoReady: true }) } }),
      { input: { spec: testSpec() } },
    );
    actor.on("*", (event) => events.push(event));
    actor.start();
    await invoke(actor, 1, 1);
    const changes = events.filter((event) => event.type === "ProviderStateChanged").map((event) => `${event.from}→${event.to}`);
    expect(changes).toEqual(["COLD→INITIALIZING", "INITIALIZING→READY"]);
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["ProviderStarted", "ProviderToolsChanged", "ToolInvocationRequested", "ToolInvocationCompleted"]),
    );
    actor.stop();
  });

  it("DEAD refuses calls at once and a manual start revives it", async () => {
    const control = newControl();
    const actor = createActor(
      providerMachine.provide({ actors: { connection: fakeConnection(control, { autoReady: true }) } }),
      { input: { spec: testSpec() } },
    ).start();
    actor.send({ type: "GIVE_UP", message: "restart budget spent" });
    await expect(invoke(actor, 1, 1)).resolves.toMatchObject({ status: "failure", kind: "unavailable" });
    expect(control.starts).toBe(0);
    const started = await new Promise((resolve) => {
      actor.send({ type: "START", reply: resolve });
    });
    expect(started).toEqual({ ok: true });
    expect(actor.getSnapshot().context.state).toBe("READY");
    actor.stop();
  });
});
