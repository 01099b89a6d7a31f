import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { pendingTerminations, registeredProcessGroups } from "../../src/actors/process-registry.js";
import { redactor } from "../../src/shared/redaction.js";
import { waitFor } from "../helpers/wait.js";
import { captureLog, finishedCalls, fixture, isAlive, makeSpec, silentLog, textOf, trackedHarnesses } from "./connection-harness.js";

const PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

// terminate.ts logs its SIGKILL warnings to the hangar log; expected here.
beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});

const start = trackedHarnesses();

describe("subprocessConnection against real processes", () => {
  it("with predefined tools, is READY once initialized and sends the provider's list after", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js"), tools: [{ name: "echo", inputSchema: { type: "object" } }] }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect(ready.tools).toBeUndefined();
    expect(ready.pid).toBeTypeOf("number");
    const listed = await h.waitForEvent("CONNECTION.TOOLS_CHANGED");
    expect(listed.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["echo", "pid", "slow"]));
  });

  it("starts, lists every tool and reports a live pid", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect((ready.tools ?? []).map((tool) => tool.name).sort()).toEqual(
      ["add", "close_stdout", "crash", "echo", "env", "fail", "image", "pid", "rpc_error", "slow", "structured"].sort(),
    );
    expect(ready.serverInfo?.name).toBe("echo-fixture");
    expect(ready.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(ready.pid).toBeTypeOf("number");
    const pid = ready.pid ?? -1;
    expect(isAlive(pid)).toBe(true);
    expect(registeredProcessGroups()).toContain(pid);
    expect(textOf(await h.call("pid"))).toBe(String(pid));
    // The provider's stderr reaches the ring.
    await waitFor(() => h.stderr.toArray().includes("echo-server ready"), 5_000, "stderr line");
  });

  it("answers calls and reports CALL.DONE with the kind", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    const outcomes = await Promise.all([h.call("add", { a: 2, b: 3 }), h.call("echo", { text: "hi" })]);
    expect(outcomes.map(textOf)).toEqual(["5", "hi"]);
    // Answered in one tick, the two may come as one CALLS.DONE.
    await waitFor(() => finishedCalls(h.events).length === 2, 5_000, "two calls done");
    expect(finishedCalls(h.events)).toMatchObject([
      { type: "CALL.DONE", kind: "ok" },
      { type: "CALL.DONE", kind: "ok" },
    ]);
  });

  it("reports each of many concurrent calls done exactly once", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    const texts = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const outcomes = await Promise.all([...texts.map((text) => h.call("echo", { text })), h.call("fail"), h.call("fail")]);
    expect(outcomes.slice(0, 40).map(textOf)).toEqual(texts);
    await waitFor(() => finishedCalls(h.events).length === 42, 5_000, "42 calls done");
    const done = finishedCalls(h.events);
    expect(new Set(done.map((event) => event.correlationId)).size).toBe(42);
    expect(done.filter((event) => event.kind === "ok")).toHaveLength(40);
    expect(done.filter((event) => event.kind === "tool_error")).toHaveLength(2);
    // Answered calls may come gathered per tick (ok or tool_error); a failure never does (the breaker judges each).
    const gathered = h.events.flatMap((event) => (event.type === "CALLS.DONE" ? event.calls : []));
    const answered: string[] = ["ok", "tool_error"];
    expect(gathered.filter((call) => !answered.includes(call.kind))).toEqual([]);
  });

  it("passes image, audio, resources, annotations, _meta and structuredContent through unchanged", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    expect(await h.call("image")).toEqual({
      status: "result",
      kind: "ok",
      result: {
        content: [
          { type: "image", data: PNG_1X1, mimeType: "image/png", annotations: { audience: ["user"], priority: 0.5 } },
          { type: "text", text: "a pixel", _meta: { "fixture/note": "kept" } },
          { type: "audio", data: "UklGRg==", mimeType: "audio/wav" },
          { type: "resource_link", uri: "file:///tmp/pixel.png", name: "pixel", mimeType: "image/png" },
          { type: "resource", resource: { uri: "mem://blob", mimeType: "application/octet-stream", blob: "AAEC" } },
        ],
        _meta: { "fixture/result": 42 },
      },
    });
    expect(await h.call("structured")).toEqual({
      status: "result",
      kind: "ok",
      result: { content: [{ type: "text", text: '{"value":7,"label":"seven"}' }], structuredContent: { value: 7, label: "seven" } },
    });
  });

  it("classifies isError as tool_error and a JSON-RPC error as rpc_error", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    const failed = await h.call("fail");
    expect(failed).toMatchObject({ status: "result", kind: "tool_error", result: { isError: true } });
    const rpc = await h.call("rpc_error");
    expect(rpc).toEqual({
      status: "rpc_error",
      kind: "tool_error",
      code: -32042,
      // The SDK server puts its own "MCP error <code>: " prefix on the wire; that wire text is what passes through.
      message: "MCP error -32042: open the link to continue",
      data: { elicitations: [{ mode: "url", message: "Sign in", url: "https://example.com/auth", elicitationId: "e1" }] },
    });
    await waitFor(() => finishedCalls(h.events).filter((event) => event.kind === "tool_error").length === 2, 5_000, "CALL.DONE");
  });

  it("times a slow call out with a message naming the seconds, and keeps working", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js"), callTimeoutS: 0.3 }));
    await h.waitForEvent("CONNECTION.READY");
    const outcome = await h.call("slow", { ms: 3_000 });
    expect(outcome).toMatchObject({ status: "failure", kind: "timeout" });
    expect(outcome.status === "failure" && outcome.message).toContain("0.3 s");
    // A per-call timeout overrides the provider's.
    expect(await h.call("slow", { ms: 3_000 }, { timeoutMs: 200 })).toMatchObject({ kind: "timeout", message: expect.stringContaining("0.2 s") as string });
    expect(textOf(await h.call("slow", { ms: 10 }))).toBe("slept 10");
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("reports a cancelled call as cancelled", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    const controller = new AbortController();
    const pending = h.call("slow", { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => {
      controller.abort();
    }, 50);
    expect(await pending).toMatchObject({ status: "failure", kind: "cancelled" });
    const aborted = new AbortController();
    aborted.abort();
    expect(await h.call("echo", { text: "x" }, { signal: aborted.signal })).toMatchObject({ kind: "cancelled" });
  });

  it("answers an in-flight call with crash and the stderr tail, then FAILED crash", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    await h.waitForEvent("CONNECTION.READY");
    const slow = h.call("slow", { ms: 5_000 });
    const outcome = await h.call("crash");
    expect(outcome).toMatchObject({ status: "failure", kind: "crash" });
    if (outcome.status !== "failure") throw new Error("unreachable");
    expect(outcome.message).toContain("exited with code 3");
    expect(outcome.stderrTail).toContain("echo-server: crashing on purpose");
    expect(await slow).toMatchObject({ status: "failure", kind: "crash" });
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("crash");
    expect(failed.message).toContain("code 3");
    // The stderr tail stays in the ring (the chart attaches it to answers), not in the message.
    expect(h.stderr.toArray()).toContain("echo-server: crashing on purpose");
    // Both calls were answered (and counted) before FAILED.
    const failedAt = h.events.indexOf(failed);
    expect(h.events.slice(0, failedAt).filter((event) => event.type === "CALL.DONE" && event.kind === "crash")).toHaveLength(2);
  });

  it("calls a broken pipe of a live process a transport failure", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    const outcome = await h.call("close_stdout");
    expect(outcome).toMatchObject({ status: "failure", kind: "transport" });
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("transport");
    expect(failed.message).toContain("kept running");
    // The process is still there until the provider actor stops the connection.
    expect(isAlive(ready.pid ?? -1)).toBe(true);
    h.stop();
    await pendingTerminations();
    expect(isAlive(ready.pid ?? -1)).toBe(false);
  });

  it("follows nextCursor through every page of tools/list", async () => {
    const h = start(makeSpec({ command: fixture("paged-server.js") }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect((ready.tools ?? []).map((tool) => tool.name)).toEqual(["t1", "t2", "t3", "t4"]);
  });

  it("stopping during start-up kills the process and sends nothing", async () => {
    const h = start(makeSpec({ command: fixture("hang-server.js"), startupTimeoutS: 30 }));
    await waitFor(() => h.stderr.toArray().includes("hang-server: listening and ignoring"), 5_000, "hang-server up");
    const [pgid] = registeredProcessGroups();
    h.stop();
    await pendingTerminations();
    expect(pgid !== undefined && isAlive(pgid)).toBe(false);
    expect(h.events).toEqual([]);
  });

  it("reports start_failed with the exit code and the provider's stderr", async () => {
    const h = start(makeSpec({ command: fixture("exit-on-start.js") }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("start_failed");
    expect(failed.message).toContain("exited with code 1");
    expect(h.stderr.toArray().join("\n")).toContain("FATAL missing configuration FIXTURE_API_KEY");
    expect(h.events.some((event) => event.type === "CONNECTION.READY")).toBe(false);
  });

  it("reports start_failed when the command does not exist", async () => {
    const h = start(makeSpec({ command: ["/nonexistent/mcp-server-xyz", "--flag"] }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("start_failed");
    expect(failed.message).toContain("ENOENT");
    expect(failed.message).toContain("/nonexistent/mcp-server-xyz");
    expect(h.events).toHaveLength(1);
  });

  it("reports start_failed for an empty command without throwing from the actor", async () => {
    const h = start(makeSpec({ command: [] }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed).toMatchObject({ kind: "start_failed", message: expect.stringContaining("empty command") as string });
  });

  it("reports start_failed when initialize is never answered", async () => {
    const h = start(makeSpec({ command: fixture("hang-server.js"), startupTimeoutS: 0.5 }));
    const failed = await h.waitForEvent("CONNECTION.FAILED");
    expect(failed.kind).toBe("start_failed");
    expect(failed.message).toContain("within 0.5 s");
  });

  it("skips non-MCP lines on stdout, logs them, and keeps serving", async () => {
    const { logger, records } = captureLog();
    const h = start(makeSpec({ id: "junk", command: fixture("garbage-server.js") }), { log: logger });
    await h.waitForEvent("CONNECTION.READY");
    for (let i = 0; i < 3; i++) expect(textOf(await h.call("echo", { text: `n${i}` }))).toBe(`n${i}`);
    const garbage = records.filter((record) => record.level === "warn" && record.msg.includes("non-MCP line"));
    expect(garbage.length).toBeGreaterThanOrEqual(3);
    expect(garbage.every((record) => record.fields?.provider === "junk")).toBe(true);
    expect(h.events.some((event) => event.type === "CONNECTION.FAILED")).toBe(false);
  });

  it("logs stderr lines tagged with the provider, with registered secrets masked", async () => {
    const { logger, records } = captureLog();
    const h = start(makeSpec({ id: "echo1", command: fixture("echo-server.js") }), { log: logger });
    await h.waitForEvent("CONNECTION.READY");
    await waitFor(() => records.find((record) => record.msg === "echo-server ready"), 5_000, "stderr log line");
    expect(records.find((record) => record.msg === "echo-server ready")?.fields).toMatchObject({ provider: "echo1", stream: "stderr" });
    // The fixture's stderr goes through the redactor before the ring and the log.
    redactor.register("echo-server: crashing");
    await h.call("crash");
    await h.waitForEvent("CONNECTION.FAILED");
    expect(h.stderr.toArray()).toContain("*** on purpose");
  });

  it("stopping ends the whole process group, SIGTERM-ignoring grandchild included", async () => {
    const h = start(makeSpec({ command: fixture("stubborn-child.js"), shutdownGraceS: 0.3 }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    const pid = ready.pid ?? -1;
    const grandchild = Number(textOf(await h.call("grandchild")));
    expect(isAlive(pid)).toBe(true);
    expect(isAlive(grandchild)).toBe(true);
    // Written to the provider synchronously; its answer cannot arrive before the stop below.
    const inFlight = h.call("pid");
    const stoppedAt = performance.now();
    h.stop();
    await pendingTerminations();
    const took = performance.now() - stoppedAt;
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(grandchild)).toBe(false);
    // SIGTERM was ignored, so the grace period passed before SIGKILL.
    expect(took).toBeGreaterThanOrEqual(250);
    expect(registeredProcessGroups()).not.toContain(pid);
    expect(await inFlight).toMatchObject({ status: "failure", kind: "cancelled" });
  });

  it("answers calls in flight at stop with cancelled and sends nothing afterwards", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js") }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    // The request is written to the provider's stdin synchronously with the CALL.
    const pending = h.call("slow", { ms: 5_000 });
    h.stop();
    expect(await pending).toEqual({ status: "failure", kind: "cancelled", message: "provider stopped" });
    await pendingTerminations();
    expect(isAlive(ready.pid ?? -1)).toBe(false);
    expect(h.eventsAfterStop).toEqual([]);
  });

  it("passes only the allow-list of the hangar env unless inheritEnv", async () => {
    const hangarEnv = { ...process.env, SECRET_X: "hangar-secret", LANG: "C.UTF-8" };
    const plain = start(makeSpec({ command: fixture("echo-server.js"), env: { GIVEN: "from-config" } }), { hangarEnv, log: silentLog });
    const inherit = start(makeSpec({ command: fixture("echo-server.js"), inheritEnv: true }), { hangarEnv, log: silentLog });
    await Promise.all([plain.waitForEvent("CONNECTION.READY"), inherit.waitForEvent("CONNECTION.READY")]);
    expect(textOf(await plain.call("env", { name: "SECRET_X" }))).toBe("(unset)");
    expect(textOf(await plain.call("env", { name: "GIVEN" }))).toBe("from-config");
    expect(textOf(await plain.call("env", { name: "LANG" }))).toBe("C.UTF-8");
    expect(textOf(await inherit.call("env", { name: "SECRET_X" }))).toBe("hangar-secret");
  });

  it("re-lists tools on tools/list_changed and sends TOOLS_CHANGED", async () => {
    const h = start(makeSpec({ command: fixture("echo-server.js"), env: { FIXTURE_TOOLS_GROW: "1" } }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect((ready.tools ?? []).some((tool) => tool.name === "late")).toBe(false);
    expect(h.events.some((event) => event.type === "CONNECTION.TOOLS_CHANGED")).toBe(false);
    expect(textOf(await h.call("grow"))).toBe("grown");
    const changed = await h.waitForEvent("CONNECTION.TOOLS_CHANGED");
    expect(changed.tools.some((tool) => tool.name === "late")).toBe(true);
    expect(changed.tools).toHaveLength((ready.tools ?? []).length + 1);
    expect(textOf(await h.call("late"))).toBe("late");
  });

  it("answers the calls that waited for READY before re-listing for a tools/list_changed sent during start-up", async () => {
    // server-everything announces its tools/list_changed at initialized, while the start-up
    // listing runs; its tools/list answer is slow to build and would hold the first call.
    const everything = new URL("../../node_modules/@modelcontextprotocol/server-everything/dist/index.js", import.meta.url).pathname;
    const h = start(makeSpec({ command: [process.execPath, everything, "stdio"] }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect(textOf(await h.call("echo", { message: "first" }))).toBe("Echo: first");
    expect(h.events.some((event) => event.type === "CONNECTION.TOOLS_CHANGED")).toBe(false);
    // The re-list still comes, a moment later.
    const changed = await h.waitForEvent("CONNECTION.TOOLS_CHANGED");
    expect(changed.tools.map((tool) => tool.name).sort()).toEqual((ready.tools ?? []).map((tool) => tool.name).sort());
  });

  it("serves the README's demo provider", async () => {
    const h = start(makeSpec({ command: [process.execPath, new URL("../../examples/providers/math.js", import.meta.url).pathname] }));
    const ready = await h.waitForEvent("CONNECTION.READY");
    expect((ready.tools ?? []).map((tool) => tool.name)).toEqual(["add", "subtract", "multiply", "divide"]);
    expect((ready.tools ?? []).every((tool) => tool.annotations?.readOnlyHint === true)).toBe(true);
    expect(textOf(await h.call("divide", { a: 1, b: 4 }))).toBe("0.25");
    expect(await h.call("divide", { a: 1, b: 0 })).toMatchObject({ kind: "tool_error" });
  });
});
