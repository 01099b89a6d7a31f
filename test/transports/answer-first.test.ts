import { randomUUID } from "node:crypto";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, textOf } from "../helpers/cli.js";
import { useInProcessHangars } from "../security/in-process-hangar.js";

const startHangar = useInProcessHangars();

/**
 * A plain tool call is answered before the hangar's bookkeeping of it: the client's answer leaves
 * inside the provider leg, and the provider actor's CALL.DONE (the ToolInvocationCompleted event,
 * metrics, audit, log) runs after it — work the client no longer waits for. Real provider process,
 * real pipes; the client sits on an in-memory pipe that delivers at once, so the order seen here
 * is the order of the hangar's own steps.
 */
describe("answer first", () => {
  it("sends a tool call's answer (by flat name or registry_invoke) before the call's completion is published, and the completion still follows", async () => {
    const hangar = await startHangar({ providers: { echo: { command: fixtureCommand("echo-server.js", `answer-first-${randomUUID()}`), tools: [{ name: "echo" }] } } });
    const client = await hangar.connect();
    const order: string[] = [];
    hangar.runtime.events.subscribe((event) => {
      if (event.type === "ToolInvocationCompleted") order.push("completed");
    });
    const transport = client.transport;
    if (transport === undefined) throw new Error("the client has no transport");
    const deliver = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if ("result" in message) order.push("answer");
      deliver?.(message, extra);
    };

    for (const text of ["cold start", "ready"]) {
      order.length = 0;
      expect(textOf(await callTool(client, "echo__echo", { text }))).toBe(text);
      expect(order).toEqual(["answer", "completed"]);
    }
    // registry_invoke (and registry_invoke_stream without a progress token) answer first too.
    for (const name of ["registry_invoke", "registry_invoke_stream"]) {
      order.length = 0;
      expect(textOf(await callTool(client, name, { provider: "echo", tool: "echo", arguments: { text: name } }))).toBe(name);
      expect(order, name).toEqual(["answer", "completed"]);
    }
  });

  it("takes a plain provider call and a plain registry_invoke without a promise (HangarRuntime.dispatch), and leaves the other registry tools to the handler's promise", async () => {
    const hangar = await startHangar({
      providers: { echo: { command: fixtureCommand("echo-server.js", `answer-first-${randomUUID()}`), tools: [{ name: "echo" }] } },
    });
    const client = await hangar.connect();
    const runtime = hangar.runtime;
    const taken: string[] = [];
    const invoke = runtime.invoke.bind(runtime);
    runtime.invoke = (...args) => {
      taken.push(`invoke ${args[1]}`);
      return invoke(...args);
    };
    const dispatch = runtime.dispatch.bind(runtime);
    runtime.dispatch = (...args) => {
      taken.push(`dispatch ${args[1]}`);
      dispatch(...args);
    };
    expect(textOf(await callTool(client, "echo__echo", { text: "one" }))).toBe("one");
    expect(textOf(await callTool(client, "registry_invoke", { provider: "echo", tool: "echo", arguments: { text: "two" }, timeout_s: 5 }))).toBe("two");
    expect(textOf(await callTool(client, "registry_invoke_stream", { provider: "echo", tool: "echo", arguments: { text: "three" } }))).toBe("three");
    // Arguments the tool kit must word are left to it: refused there, nothing sent.
    expect(textOf(await callTool(client, "registry_invoke", { provider: "echo", tool: "echo", timeout: 5 }))).toMatch(/invalid arguments for tool 'registry_invoke'/);
    expect(taken).toEqual(["dispatch echo", "dispatch echo", "invoke echo"]);
  });

  it("keeps a call that asked for progress on its promise: every progress notification reaches the client, and counts, before the answer", async () => {
    const hangar = await startHangar({ providers: { bad: { command: fixtureCommand("faulty-server.js", `answer-first-${randomUUID()}`), tools: [{ name: "progress" }] } } });
    const client = await hangar.connect();
    const seen: string[] = [];
    const transport = client.transport;
    if (transport === undefined) throw new Error("the client has no transport");
    const deliver = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if ("method" in message && message.method === "notifications/progress") seen.push("progress");
      if ("result" in message) seen.push("answer");
      deliver?.(message, extra);
    };
    const counted: number[] = [];
    await callTool(client, "bad__progress", { steps: 3, interval_ms: 1 }, { onprogress: (progress) => counted.push(progress.progress) });
    expect(seen).toEqual(["progress", "progress", "progress", "answer"]);
    // The SDK's client drops a progress notification handled after the answer settled the call.
    expect(counted).toEqual([1, 2, 3]);
  });
});
