import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { MAX_CLIENT_MESSAGE_BYTES } from "../../src/transports/stdio-server-transport.js";
import { eventually, fixtureCommand, useE2E, within } from "../helpers/cli.js";
import { findProcesses, waitForExit } from "../helpers/processes.js";
import { useRawHangars, type RawHangar, type RawMessage } from "../helpers/raw-stdio.js";

/**
 * The stdio front end as a client's bytes meet it: the built hangar on real pipes, lines written
 * and read as they are, no MCP client in between (so malformed lines, exact ids and what is NOT
 * answered can be seen).
 */
const e2e = useE2E();
const startHangar = useRawHangars(e2e);

function start(providers: Record<string, object>): RawHangar {
  return startHangar({ providers });
}

const textOf = (message: RawMessage): string => ((message.result as { content: { text: string }[] }).content[0]?.text ?? "");

describe("stdio front end", () => {
  it("answers each id exactly as it came, string or integer, before and after initialize", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    // Before initialize the hangar answers as the SDK's server does: it does not check.
    const early = await hangar.request("early", "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "first" } } });
    expect(textOf(early)).toBe("first");
    await hangar.initialize();
    for (const id of [0, -7, Number.MAX_SAFE_INTEGER, "", "a string id", "42"]) {
      const answer = await hangar.request(id, "tools/call", { name: "echo__echo", arguments: { text: `id ${JSON.stringify(id)}` } });
      expect(answer).toEqual({ jsonrpc: "2.0", id, result: { content: [{ type: "text", text: `id ${JSON.stringify(id)}` }] } });
    }
  });

  it("keeps a tool error's JSON-RPC code and message, and answers odd tools/call shapes -32602 Invalid params in words", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const unknown = await hangar.request(1, "tools/call", { name: "no_such_tool" });
    expect(unknown.error?.code).toBe(-32602);
    expect(unknown.error?.message).toMatch(/^unknown tool 'no_such_tool'; known tools: /);
    // Changed on purpose: the SDK answered these -32603 Internal error with zod's issue list.
    const badArguments = await hangar.request(2, "tools/call", { name: "echo__echo", arguments: ["text"] });
    expect(badArguments.error).toEqual({ code: -32602, message: "tools/call: params.arguments must be an object, not an array" });
    const stringArguments = await hangar.request(3, "tools/call", { name: "echo__echo", arguments: "x" });
    expect(stringArguments.error).toEqual({ code: -32602, message: 'tools/call: params.arguments must be an object, not "x"' });
    const noName = await hangar.request(4, "tools/call", { arguments: {} });
    expect(noName.error).toEqual({ code: -32602, message: "tools/call: params.name is missing (a string)" });
    const noParams = await hangar.request(5, "tools/call");
    expect(noParams.error).toEqual({ code: -32602, message: "tools/call: params is missing (an object)" });
    const after = await hangar.request(6, "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "still here" } } });
    expect(textOf(after)).toBe("still here");
  });

  // Changed on purpose: the SDK answered each of these -32603 Internal error with zod's issue list as JSON.
  it("answers any method whose params break the method's schema -32602 Invalid params, tools/call's in the same words as the others', and serves on", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const cases: [string, object | undefined, string][] = [
      ["resources/read", undefined, "resources/read: params is missing (an object)"],
      ["resources/read", {}, "resources/read: params.uri is missing (a string)"],
      ["resources/read", { uri: 5 }, "resources/read: params.uri must be a string, not the number 5"],
      // tools/call's params are judged by the router, the rest by HangarServer: the same words.
      ["tools/call", { name: 5 }, "tools/call: params.name must be a string, not the number 5"],
      ["tools/call", { name: "echo__echo", arguments: [1] }, "tools/call: params.arguments must be an object, not an array"],
      ["prompts/get", { arguments: {} }, "prompts/get: params.name is missing (a string)"],
      ["prompts/get", { name: "p", arguments: { n: 1 } }, "prompts/get: params.arguments.n must be a string, not the number 1"],
      ["tools/list", { cursor: 5 }, "tools/list: params.cursor must be a string, not the number 5"],
      ["resources/list", { cursor: true }, "resources/list: params.cursor must be a string, not the boolean true"],
      ["resources/templates/list", { cursor: null }, "resources/templates/list: params.cursor must be a string, not null"],
      ["resources/subscribe", { url: "file:///x" }, "resources/subscribe: params.uri is missing (a string)"],
      ["completion/complete", { ref: { type: "ref/nothing" }, argument: { name: "a", value: "b" } }, 'completion/complete: params.ref.type must be one of "ref/prompt", "ref/resource", not "ref/nothing"'],
      ["completion/complete", { ref: { type: "ref/prompt" }, argument: { name: "a", value: "b" } }, "completion/complete: params.ref.name is missing (a string)"],
      ["logging/setLevel", { level: "loud" }, 'logging/setLevel: params.level must be one of "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency", not "loud"'],
      ["resources/unsubscribe", { uri: ["a"] }, "resources/unsubscribe: params.uri must be a string, not an array"],
    ];
    let id = 100;
    for (const [method, params, message] of cases) {
      const answer = await hangar.request(++id, method, params);
      expect({ method, answer }).toEqual({ method, answer: { jsonrpc: "2.0", id, error: { code: -32602, message } } });
    }
    // Well-formed requests of the same methods still take the SDK's path and are answered.
    expect((await hangar.request("level", "logging/setLevel", { level: "debug" })).result).toEqual({});
    expect((await hangar.request("list", "tools/list", {})).result).toMatchObject({ tools: expect.any(Array) as unknown });
    expect((await hangar.request("ping", "ping")).result).toEqual({});
  });

  it("answers a line that is not JSON with Parse error, a non-request with Invalid Request (its id when usable), and serves on", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    hangar.write("this is not json\n");
    const parseError = await hangar.next((message) => message.error?.code === -32700, "a Parse error answer");
    expect(parseError).toEqual({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error: the line is not JSON" } });
    hangar.write({ jsonrpc: "2.0", id: "bad-1", method: 42 });
    const invalid = await hangar.next((message) => message.id === "bad-1", "the Invalid Request answer");
    expect(invalid.error?.code).toBe(-32600);
    hangar.write({ jsonrpc: "1.0", id: null, method: "ping" });
    await hangar.next((message) => message.error?.code === -32600 && !("id" in message), "an Invalid Request answer without an id");
    // A malformed answer is dropped, not answered (an answer to an answer could loop).
    hangar.write({ jsonrpc: "2.0", id: 99, result: "not an object" });
    const after = await hangar.request("after", "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "still here" } } });
    expect(textOf(after)).toBe("still here");
    expect(hangar.messages.filter((message) => message.id === 99)).toEqual([]);
    expect(hangar.stderr()).toMatch(/malformed JSON-RPC answer/);
  });

  // Changed on purpose: each was answered "Invalid Request: not a JSON-RPC 2.0 request or notification".
  it("says why a line is not a request: a batch (none in MCP 2025-06-18), the version, method, id, params, an extra member", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const cases: [string, object][] = [
      ['[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]', { error: { code: -32600, message: "Invalid Request: a JSON-RPC batch (an array) is not part of MCP (batches were removed in 2025-06-18): send each message on a line of its own" } }],
      ['"ping"', { error: { code: -32600, message: "Invalid Request: a message is a JSON object, not a string" } }],
      ['{"jsonrpc":"1.0","id":"v","method":"ping"}', { id: "v", error: { code: -32600, message: 'Invalid Request: "jsonrpc" must be "2.0"' } }],
      ['{"jsonrpc":"2.0","id":"m"}', { id: "m", error: { code: -32600, message: 'Invalid Request: "method" is missing' } }],
      ['{"jsonrpc":"2.0","id":1.5,"method":"ping"}', { error: { code: -32600, message: 'Invalid Request: "id" must be a string or an integer, not the fraction 1.5' } }],
      ['{"jsonrpc":"2.0","id":"p","method":"ping","params":null}', { id: "p", error: { code: -32600, message: 'Invalid Request: "params" must be an object, not null' } }],
      ['{"jsonrpc":"2.0","id":"t","method":"ping","params":{"_meta":{"progressToken":true}}}', { id: "t", error: { code: -32600, message: 'Invalid Request: "params._meta.progressToken" must be a string or an integer, not true' } }],
      ['{"jsonrpc":"2.0","id":"x","method":"ping","extra":1}', { id: "x", error: { code: -32600, message: 'Invalid Request: unexpected member "extra" (a request has only jsonrpc, id, method and params)' } }],
    ];
    for (const [line, answer] of cases) {
      const before = hangar.messages.length;
      hangar.write(`${line}\n`);
      await hangar.next((message) => hangar.messages.indexOf(message) >= before, `the answer to ${line}`);
      expect({ line, answer: hangar.messages[before] }).toEqual({ line, answer: { jsonrpc: "2.0", ...answer } });
    }
    // The batch's requests were not run one by one either: no answer carries their ids.
    expect(hangar.messages.filter((message) => message.id === 1 || message.id === 2)).toEqual([]);
  });

  // Changed on purpose: these were answered -32600 Invalid Request ("params" must be an object, not an array).
  it("answers a request whose params are an array (JSON-RPC by position) -32602 Invalid params with its id, any method, drops such a notification, and serves on", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const cases: [string | number, string, unknown[]][] = [
      [1, "tools/list", []],
      ["call", "tools/call", ["echo__echo", { text: "by position" }]],
      [3, "ping", []],
      ["read", "resources/read", ["file:///x"]],
    ];
    for (const [id, method, params] of cases) {
      const answer = await hangar.request(id, method, params);
      const message = `${method}: params must be an object, not an array — MCP's params are named (an object); JSON-RPC's by-position params (an array) are not part of MCP`;
      expect({ method, answer }).toEqual({ method, answer: { jsonrpc: "2.0", id, error: { code: -32602, message } } });
    }
    // A notification by position is JSON-RPC's too, and JSON-RPC never answers a notification:
    // it is reported on stderr, not answered (it was answered -32600 with no id).
    const beforeNotification = hangar.messages.length;
    hangar.write({ jsonrpc: "2.0", method: "notifications/roots/list_changed", params: [] });
    // The call was not made by position either, and the session serves on.
    const after = await hangar.request("after", "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "by name" } } });
    expect(textOf(after)).toBe("by name");
    expect(hangar.messages.slice(beforeNotification).filter((message) => message.error !== undefined)).toEqual([]);
    await eventually(
      () => Promise.resolve(hangar.stderr().includes('stdio client: a notification MCP cannot take was dropped ("params" must be an object, not an array)') || undefined),
      5_000,
      "the dropped notification on stderr",
    );
    expect(hangar.messages.filter((message) => message.result !== undefined && JSON.stringify(message.result).includes("by position"))).toEqual([]);
  });

  it("skips a line of only whitespace as it skips an empty line: no Parse error, no warning", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    hangar.write(" \t \r\n\n   \n\t\n");
    const after = await hangar.request("after", "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "after blanks" } } });
    expect(textOf(after)).toBe("after blanks");
    expect(hangar.messages.filter((message) => message.error !== undefined)).toEqual([]);
    expect(hangar.stderr()).not.toContain("stdio client:");
  });

  it("skips a line longer than the limit with one Invalid Request answer, and reads the next line", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const piece = "x".repeat(1024 * 1024);
    // A request whose params never end before the limit: written in 1 MiB pieces, as a client would.
    hangar.write(`{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"echo__echo","arguments":{"text":"`);
    for (let written = 0; written <= MAX_CLIENT_MESSAGE_BYTES; written += piece.length) hangar.write(piece);
    hangar.write(`"}}}\n`);
    const refused = await hangar.next((message) => message.error?.code === -32600, "the Invalid Request answer to the huge line", 20_000);
    expect(refused.error?.message).toBe(`Invalid Request: a message longer than ${MAX_CLIENT_MESSAGE_BYTES} bytes was skipped`);
    const after = await hangar.request("after", "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "echo", arguments: { text: "next line" } } });
    expect(textOf(after)).toBe("next line");
    expect(hangar.messages.filter((message) => message.id === "huge")).toEqual([]);
  });

  it("aborts a call at the provider on notifications/cancelled, and answers nothing for it", async () => {
    const marker = e2e.marker();
    const hangar = start({ slow: { command: fixtureCommand("faulty-server.js", marker) } });
    await hangar.initialize();
    hangar.write({ jsonrpc: "2.0", id: "long", method: "tools/call", params: { name: "registry_invoke", arguments: { provider: "slow", tool: "slow", arguments: { ms: 60_000 } } } });
    const inFlight = async (): Promise<number> => {
      const answer = await hangar.request(`details-${performance.now()}`, "tools/call", { name: "registry_details", arguments: { provider: "slow" } });
      return (answer.result as { structuredContent: { in_flight: number } }).structuredContent.in_flight;
    };
    await eventually(async () => (await inFlight()) === 1, 10_000, "the slow call to be in flight");
    hangar.write({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "long", reason: "changed my mind" } });
    // The provider was told and let go of it (60 s would outlast this wait by far).
    await eventually(async () => (await inFlight()) === 0, 10_000, "the cancelled call to end at the provider");
    const pong = await hangar.request("ping-after", "ping");
    expect(pong.result).toEqual({});
    expect(hangar.messages.filter((message) => message.id === "long")).toEqual([]);
  });

  it("sends a flat-name call's progress back with the caller's token, then the answer", async () => {
    const marker = e2e.marker();
    const hangar = start({ faulty: { command: fixtureCommand("faulty-server.js", marker) } });
    await hangar.initialize();
    // The provider's tools become flat names once it has listed them.
    await hangar.request("warm", "tools/call", { name: "registry_warm", arguments: { providers: ["faulty"] } });
    const answer = await hangar.request("with-progress", "tools/call", {
      name: "faulty__progress",
      arguments: { steps: 3, interval_ms: 10 },
      _meta: { progressToken: "token-7" },
    });
    expect(answer.error).toBeUndefined();
    const progress = hangar.messages.filter((message) => message.method === "notifications/progress");
    expect(progress.map((message) => (message.params as { progressToken: unknown }).progressToken)).toEqual(["token-7", "token-7", "token-7"]);
    expect(progress.map((message) => (message.params as { progress: number }).progress)).toEqual([1, 2, 3]);
    // Every notification came before the answer.
    const answerAt = hangar.messages.indexOf(answer);
    expect(progress.every((message) => hangar.messages.indexOf(message) < answerAt)).toBe(true);
  });

  // A call with a progress token takes the handler's path, one without it the quick path: both
  // are admitted by the same steps, so each refusal reads the same on either.
  it("refuses invalid arguments, a rate-limited tool, a denied tool and an unknown name alike with and without a progress token", async () => {
    const marker = e2e.marker();
    const add = { name: "add", inputSchema: { type: "object", properties: { a: { type: "number" } }, required: ["a"] } };
    const hangar = start({
      echo: {
        command: fixtureCommand("echo-server.js", marker),
        tools: [add, { name: "echo" }, { name: "crash" }],
        deny_tools: ["crash"],
        // One call per 100 s after the first: the next ones are refused however slow the machine.
        tools_rate_limit: { echo: { rps: 0.01, burst: 1 } },
      },
    });
    await hangar.initialize();
    const both = async (index: number, params: { name: string; arguments: object }): Promise<RawMessage> => {
      const quick = await hangar.request(`quick-${index}`, "tools/call", params);
      const withProgress = await hangar.request(`progress-${index}`, "tools/call", { ...params, _meta: { progressToken: `token-${index}` } });
      // The retry time counts down between the two.
      const timeless = (message: RawMessage): unknown =>
        JSON.parse(JSON.stringify({ ...message, id: undefined }).replace(/retry after [\d.]+ s/g, "retry after … s").replace(/"retry_after_(m?s)":[\d.]+/g, '"retry_after_$1":0'));
      expect(timeless(withProgress), params.name).toEqual(timeless(quick));
      return quick;
    };
    const invalid = await both(1, { name: "echo__add", arguments: { a: "one" } });
    expect(invalid.result).toMatchObject({ isError: true, _meta: { "mcp-hangar/violations": [expect.objectContaining({ path: "/a" })] } });
    // A tool deny_tools names is not in the catalogue: unknown, as a name no provider has.
    const denied = await both(2, { name: "echo__crash", arguments: {} });
    expect(denied.error).toMatchObject({ code: -32602, message: expect.stringMatching(/^unknown tool 'echo__crash'; known tools: echo__add, echo__echo, registry_/) as unknown });
    const unknown = await both(3, { name: "no_such_tool", arguments: {} });
    expect(unknown.error).toMatchObject({ code: -32602, message: expect.stringMatching(/^unknown tool 'no_such_tool'; known tools: echo__add, echo__echo, registry_/) as unknown });
    expect(findProcesses(marker)).toEqual([]);

    expect(textOf(await hangar.request("first", "tools/call", { name: "echo__echo", arguments: { text: "once" } }))).toBe("once");
    const limited = await both(4, { name: "echo__echo", arguments: { text: "twice" } });
    expect(limited.error).toMatchObject({ code: RATE_LIMITED_CODE, message: expect.stringContaining("tool 'echo/echo' (tools_rate_limit): 0.01 calls/s, burst 1; retry after") as unknown });
    expect(hangar.messages.filter((message) => message.method === "notifications/progress")).toEqual([]);
  });

  it("handles notifications/initialized before a tools/call read in the same chunk (the provider started by the call hears the client's sampling)", async () => {
    const marker = e2e.marker();
    const hangar = start({ fx: { command: fixtureCommand("conformance-server.js", marker) } });
    const init = await hangar.request("init", "initialize", { protocolVersion: "2025-06-18", capabilities: { sampling: {} }, clientInfo: { name: "raw-e2e", version: "1" } });
    expect(init.result).toBeDefined();
    // One write: the hangar reads both lines in one chunk. The call starts the provider, which is
    // offered what the clients initialized so far can do — this client's sampling included.
    const initialized = JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" });
    const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "registry_invoke", arguments: { provider: "fx", tool: "test_sampling", arguments: { prompt: "hi" } } } });
    hangar.write(`${initialized}\n${call}\n`);
    const asked = await hangar.next((message) => message.method === "sampling/createMessage", "the provider's sampling request, forwarded");
    hangar.write({ jsonrpc: "2.0", id: asked.id, result: { role: "assistant", content: { type: "text", text: "raw answer" }, model: "raw" } });
    const answer = await hangar.next((message) => message.id === 1 && message.method === undefined, "the call's answer");
    expect(textOf(answer)).toBe("LLM response: raw answer");
  });

  it("offers a provider the capabilities of an initialize read in the same chunk as notifications/initialized and the call that starts it", async () => {
    const marker = e2e.marker();
    const hangar = start({ fx: { command: fixtureCommand("conformance-server.js", marker) } });
    // What a scripting client writes in one go: the SDK handles initialize two microtasks after
    // reading it, after the notification's handler and the call have run.
    const lines = [
      { jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: { sampling: {} }, clientInfo: { name: "raw-e2e", version: "1" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "registry_invoke", arguments: { provider: "fx", tool: "test_sampling", arguments: { prompt: "hi" } } } },
    ];
    hangar.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
    const asked = await hangar.next((message) => message.method === "sampling/createMessage" || message.id === 1, "the provider's sampling request, forwarded");
    expect(asked.method, JSON.stringify(asked)).toBe("sampling/createMessage");
    hangar.write({ jsonrpc: "2.0", id: asked.id, result: { role: "assistant", content: { type: "text", text: "one chunk" }, model: "raw" } });
    const answer = await hangar.next((message) => message.id === 1 && message.method === undefined, "the call's answer");
    expect(textOf(answer)).toBe("LLM response: one chunk");
  });

  it("shuts down on stdin EOF and leaves no provider process", async () => {
    const marker = e2e.marker();
    const hangar = start({ echo: { command: fixtureCommand("echo-server.js", marker) } });
    await hangar.initialize();
    const pid = Number(textOf(await hangar.request(1, "tools/call", { name: "registry_invoke", arguments: { provider: "echo", tool: "pid" } })));
    expect(findProcesses(marker)).toEqual([pid]);
    hangar.endStdin();
    const exit = await within(hangar.exited, 10_000, "the hangar to exit after stdin EOF");
    expect(exit.code).toBe(0);
    await waitForExit(pid, 5_000);
    expect(findProcesses(marker)).toEqual([]);
  });
});

