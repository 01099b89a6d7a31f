import { describe, expect, it } from "vitest";
import { fixtureCommand, useE2E, within } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";
import { useRawHangars, type RawHangar, type RawMessage } from "../helpers/raw-stdio.js";
import { waitFor } from "../helpers/wait.js";

/**
 * stdin EOF with requests in flight, as a scripting client meets it
 * (`printf '<initialize>\n<initialized>\n<tools/call>\n' | mcp-hangar --config x`): the built
 * hangar on real pipes, every line written in one write and stdin closed right after, so the
 * providers are still starting when the hangar reads EOF. The requests already read are answered
 * first, then the hangar shuts down as before: exit 0, no provider process left (the markers are
 * checked here and again by useE2E's cleanup).
 */
const e2e = useE2E();
const startHangar = useRawHangars(e2e);

const INITIALIZE = { jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "printf", version: "1" } } };
const INITIALIZED = { jsonrpc: "2.0", method: "notifications/initialized" };

function toolCall(id: number, name: string, args: object): object {
  return { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } };
}

function invoke(id: number, provider: string, tool: string, args: object = {}): object {
  return toolCall(id, "registry_invoke", { provider, tool, arguments: args });
}

/** What `printf … |` does: every line in one write, then EOF. */
function writeAllThenClose(hangar: RawHangar, messages: object[]): void {
  hangar.write(messages.map((message) => `${JSON.stringify(message)}\n`).join(""));
  hangar.endStdin();
}

function answerTo(hangar: RawHangar, id: number | string): Promise<RawMessage> {
  return hangar.next((message) => message.id === id && message.method === undefined, `the answer to request ${JSON.stringify(id)}`, 15_000);
}

const textOf = (message: RawMessage): string => ((message.result as { content: { text: string }[] } | undefined)?.content[0]?.text ?? "");
const isError = (message: RawMessage): boolean => (message.result as { isError?: boolean } | undefined)?.isError === true;

/** A provider whose tools the config lists, so `<id>__<tool>` exists before it ever started. */
function coldEcho(marker: string, extra: object = {}): object {
  return {
    command: fixtureCommand("echo-server.js", marker),
    shutdown_grace_s: 1,
    tools: [
      { name: "add", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } },
      { name: "slow", inputSchema: { type: "object", properties: { ms: { type: "number" } } } },
    ],
    ...extra,
  };
}

async function exitsCleanly(hangar: RawHangar, markers: string[], timeoutMs = 15_000): Promise<void> {
  const exit = await within(hangar.exited, timeoutMs, "the hangar to exit after stdin EOF");
  expect(exit, hangar.stderr()).toEqual({ code: 0, signal: null });
  // The hangar waits for every provider's process group before it exits.
  expect(markers.flatMap(findProcesses)).toEqual([]);
  expect(hangar.stderr().match(/INFO\s+shutting down \(/g), "one shutdown").toHaveLength(1);
}

describe("stdin EOF with requests in flight", () => {
  it("answers a call to a provider still starting, then exits 0 with no provider left", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    writeAllThenClose(hangar, [INITIALIZE, INITIALIZED, toolCall(1, "math__add", { a: 2, b: 3 })]);
    const answer = await answerTo(hangar, 1);
    expect(answer.error).toBeUndefined();
    expect(isError(answer), JSON.stringify(answer)).toBe(false);
    expect(textOf(answer)).toBe("5");
    await exitsCleanly(hangar, [marker]);
    const log = hangar.stderr();
    // EOF was read while the provider was still starting: the drain began before it was ready.
    expect(log.indexOf("stdin closed with")).toBeGreaterThan(-1);
    expect(log.indexOf("stdin closed with")).toBeLessThan(log.indexOf("provider math ready"));
    expect(log).toMatch(/drain finished: \d+ requests? answered in \d+ ms/);
    expect(log).toMatch(/shutting down \(stdin closed; \d+ requests? answered first\)/);
  });

  it("answers every request read before EOF: flat calls, registry_invoke, a group failing over, a list", async () => {
    const markers = { math: e2e.marker(), echo: e2e.marker(), broken: e2e.marker(), steady: e2e.marker() };
    const hangar = startHangar({
      audit: { enabled: false },
      providers: {
        math: coldEcho(markers.math),
        echo: { command: fixtureCommand("echo-server.js", markers.echo), shutdown_grace_s: 1 },
        broken: { command: fixtureCommand("exit-on-start.js", markers.broken), shutdown_grace_s: 1 },
        steady: { command: fixtureCommand("echo-server.js", markers.steady), shutdown_grace_s: 1 },
        // The preferred member cannot start: the call fails over to the other, itself cold.
        pool: { mode: "group", strategy: "priority", members: [{ id: "broken", priority: 1 }, { id: "steady", priority: 2 }] },
      },
    });
    writeAllThenClose(hangar, [
      INITIALIZE,
      INITIALIZED,
      toolCall(1, "math__add", { a: 1, b: 2 }),
      toolCall(2, "math__slow", { ms: 300 }),
      invoke(3, "echo", "echo", { text: "through registry_invoke" }),
      invoke(4, "pool", "echo", { text: "through the group" }),
      { jsonrpc: "2.0", id: 5, method: "tools/list" },
      toolCall(6, "math__add", { a: 40, b: 2 }),
    ]);
    const answers = await within(Promise.all([1, 2, 3, 4, 5, 6].map((id) => answerTo(hangar, id))), 15_000, "every answer");
    for (const answer of answers) {
      expect(answer.error, JSON.stringify(answer)).toBeUndefined();
      expect(isError(answer), JSON.stringify(answer)).toBe(false);
    }
    const [add, slow, viaInvoke, viaGroup, list, secondAdd] = answers as [RawMessage, RawMessage, RawMessage, RawMessage, RawMessage, RawMessage];
    expect(textOf(add)).toBe("3");
    expect(textOf(slow)).toMatch(/300/);
    expect(textOf(viaInvoke)).toBe("through registry_invoke");
    expect(textOf(viaGroup)).toBe("through the group");
    expect((list.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
    expect(textOf(secondAdd)).toBe("42");
    await exitsCleanly(hangar, Object.values(markers));
  });

  it("answers a last request written without its newline (printf without the final \\n)", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    hangar.write(`${JSON.stringify(INITIALIZE)}\n${JSON.stringify(INITIALIZED)}\n${JSON.stringify(toolCall(1, "math__add", { a: 20, b: 22 }))}`);
    hangar.endStdin();
    const answer = await answerTo(hangar, 1);
    expect(answer.error, JSON.stringify(answer)).toBeUndefined();
    expect(textOf(answer)).toBe("42");
    await exitsCleanly(hangar, [marker]);
    expect(hangar.stderr()).toContain("stdin closed with 1 request in flight");
    expect(hangar.stderr()).toMatch(/shutting down \(stdin closed; 1 request answered first\)/);
    expect(hangar.stderr()).not.toContain("stdio client:");
  });

  const badTails = [
    { tail: "this is not json", answer: { jsonrpc: "2.0", error: { code: -32700, message: "Parse error: the line is not JSON" } } },
    { tail: '{"jsonrpc":"2.0","id":"bad","method":42}', answer: { jsonrpc: "2.0", id: "bad", error: { code: -32600, message: 'Invalid Request: "method" must be a string, not the number 42' } } },
  ];
  it.each(badTails)("answers a bad last line without its newline as a bad line is answered ($tail), and drains the rest", async ({ tail, answer }) => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    hangar.write(`${[INITIALIZE, INITIALIZED, toolCall(1, "math__add", { a: 1, b: 1 })].map((message) => `${JSON.stringify(message)}\n`).join("")}${tail}`);
    hangar.endStdin();
    const refused = await hangar.next((message) => message.error !== undefined, "the answer to the bad last line");
    expect(refused).toEqual(answer);
    expect(textOf(await answerTo(hangar, 1))).toBe("2");
    await exitsCleanly(hangar, [marker]);
    expect(hangar.stderr()).toContain(`stdio client: ${answer.error.message}`);
  });

  it("ignores a last line of only blanks", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    hangar.write(`${[INITIALIZE, INITIALIZED, toolCall(1, "math__add", { a: 2, b: 2 })].map((message) => `${JSON.stringify(message)}\n`).join("")} \t \r`);
    hangar.endStdin();
    expect(textOf(await answerTo(hangar, 1))).toBe("4");
    await exitsCleanly(hangar, [marker]);
    // A refusal would have been written at EOF, before the call's answer.
    expect(hangar.messages.filter((message) => message.error !== undefined)).toEqual([]);
    expect(hangar.stderr()).not.toContain("stdio client:");
  });

  it("waits at exit for a client that reads slowly: every answer queued on stdout arrives, then it exits 0", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    // 20 answers of 200 kB: far more than a pipe holds, so most of them wait in the hangar's stdout queue.
    const ids = Array.from({ length: 20 }, (_, index) => index + 1);
    const text = (id: number): string => `${id} ${"x".repeat(200_000)}`;
    hangar.pauseReading();
    writeAllThenClose(hangar, [INITIALIZE, INITIALIZED, ...ids.map((id) => invoke(id, "math", "echo", { text: text(id) }))]);
    // The old hangar exited here, its queue dropped; now it says it waits for the client to read.
    const waiting = waitFor(() => hangar.stderr().includes("for the client to read the last"), 30_000, "the hangar to wait for stdout to be read");
    const first = await Promise.race([hangar.exited.then(() => "exited"), waiting.then(() => "waiting")]);
    hangar.resumeReading();
    await exitsCleanly(hangar, [marker]);
    expect(first).toBe("waiting");
    for (const id of ids) expect(textOf(await answerTo(hangar, id)), `answer ${id}`).toBe(text(id));
    expect(hangar.stderr()).not.toContain("did not read within");
  });

  it("cuts a call that outlasts stdio.drain_timeout_s with an error saying why, then exits", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, stdio: { drain_timeout_s: 3 }, providers: { math: coldEcho(marker) } });
    // The provider is started before EOF: a cold start on a loaded machine can take longer than
    // the drain, and then call 1 would be cut too. Here only the slow call may outlast it.
    hangar.write([INITIALIZE, INITIALIZED, toolCall(0, "math__add", { a: 1, b: 1 })].map((message) => `${JSON.stringify(message)}\n`).join(""));
    expect(textOf(await answerTo(hangar, 0))).toBe("2");
    writeAllThenClose(hangar, [toolCall(1, "math__add", { a: 2, b: 2 }), toolCall(2, "math__slow", { ms: 60_000 })]);
    expect(textOf(await answerTo(hangar, 1))).toBe("4");
    const cut = await answerTo(hangar, 2);
    expect(cut.result).toBeUndefined();
    expect(cut.error).toEqual({
      code: -32001,
      message: "the client closed stdin; drain timed out after 3 s",
      data: { reason: "stdin_closed_drain_timeout", drain_timeout_s: 3 },
    });
    await exitsCleanly(hangar, [marker]);
    // One answer per request: the shutdown's own answer to the cut call is not written after it.
    expect(hangar.messages.filter((message) => message.id === 2)).toHaveLength(1);
    expect(hangar.stderr()).toContain("drain timed out after 3 s: 1 of 2 requests answered, 1 cut with an error");
    expect(hangar.stderr()).toContain("shutting down (stdin closed; drain timed out after 3 s)");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("obeys %s during a drain at once", async (signal) => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, stdio: { drain_timeout_s: 600 }, providers: { math: coldEcho(marker) } });
    writeAllThenClose(hangar, [INITIALIZE, INITIALIZED, toolCall(1, "math__slow", { ms: 60_000 })]);
    await waitFor(() => hangar.stderr().includes("answering them before shutting down (drain timeout 600 s)"), 10_000, "the drain to begin");
    await waitFor(() => hangar.stderr().includes("provider math ready"), 10_000, "the provider to be ready");
    process.kill(hangar.pid, signal);
    // The provider's grace is 1 s: far from the drain's 600 s.
    await exitsCleanly(hangar, [marker], 5_000);
    expect(hangar.stderr()).toContain(`drain cut short by ${signal}: 0 of 1 request answered, 1 left to the shutdown`);
    expect(hangar.stderr()).toContain(`shutting down (${signal})`);
    // As a signal without EOF: the call is answered as stopped by the shutdown.
    const answer = await answerTo(hangar, 1);
    expect(isError(answer)).toBe(true);
    expect(textOf(answer)).toMatch(/stopped/);
  });

  it("shuts down at once when stdout fails during a drain (nobody is left to answer)", async () => {
    const marker = e2e.marker();
    // No predefined tools: the provider's start brings its tool list, and the hangar writes
    // notifications/tools/list_changed — a write during the drain, into a closed pipe.
    const hangar = startHangar({ audit: { enabled: false }, stdio: { drain_timeout_s: 600 }, providers: { echo: { command: fixtureCommand("echo-server.js", marker), shutdown_grace_s: 1 } } });
    writeAllThenClose(hangar, [INITIALIZE, INITIALIZED, invoke(1, "echo", "slow", { ms: 60_000 })]);
    await waitFor(() => hangar.stderr().includes("answering them before shutting down (drain timeout 600 s)"), 10_000, "the drain to begin");
    hangar.closeStdout();
    await exitsCleanly(hangar, [marker], 10_000);
    expect(hangar.stderr()).toMatch(/drain cut short by stdout failed: .*EPIPE.*: 0 of 1 request answered, 1 left to the shutdown/);
    expect(hangar.stderr()).toMatch(/shutting down \(stdout failed: .*EPIPE/);
  });

  it("shuts down at once when nothing is in flight, as before", async () => {
    const marker = e2e.marker();
    const hangar = startHangar({ audit: { enabled: false }, providers: { math: coldEcho(marker) } });
    await hangar.initialize();
    expect(textOf(await hangar.request(1, "tools/call", { name: "math__add", arguments: { a: 1, b: 1 } }))).toBe("2");
    hangar.endStdin();
    await exitsCleanly(hangar, [marker]);
    expect(hangar.stderr()).toContain("shutting down (stdin closed)");
    expect(hangar.stderr()).not.toContain("drain");
  });
});

describe("a provider's requests to a client that closed stdin", () => {
  const SAMPLING_CLIENT = { ...INITIALIZE, params: { ...INITIALIZE.params, capabilities: { sampling: {} } } };

  function startSamplingFixture(marker: string): RawHangar {
    return startHangar({ audit: { enabled: false }, stdio: { drain_timeout_s: 600 }, providers: { fx: { command: fixtureCommand("conformance-server.js", marker), shutdown_grace_s: 1 } } });
  }

  it("a sampling request made after EOF fails at once, and the call's answer says why", async () => {
    const marker = e2e.marker();
    const hangar = startSamplingFixture(marker);
    writeAllThenClose(hangar, [SAMPLING_CLIENT, INITIALIZED, invoke(1, "fx", "test_sampling", { prompt: "hi" })]);
    const answer = await within(answerTo(hangar, 1), 10_000, "the call's answer, long before the drain timeout");
    expect(isError(answer), JSON.stringify(answer)).toBe(true);
    expect(textOf(answer)).toMatch(/the client closed stdin: it can no longer answer sampling\/createMessage/);
    // Never sent: nobody could answer it.
    expect(hangar.messages.some((message) => message.method === "sampling/createMessage")).toBe(false);
    await exitsCleanly(hangar, [marker]);
  });

  it("a sampling request still unanswered at EOF fails then, and the call's answer says why", async () => {
    const marker = e2e.marker();
    const hangar = startSamplingFixture(marker);
    hangar.write([SAMPLING_CLIENT, INITIALIZED, invoke(1, "fx", "test_sampling", { prompt: "hi" })].map((message) => `${JSON.stringify(message)}\n`).join(""));
    await hangar.next((message) => message.method === "sampling/createMessage", "the provider's sampling request");
    hangar.endStdin();
    const answer = await within(answerTo(hangar, 1), 10_000, "the call's answer, long before the drain timeout");
    expect(isError(answer), JSON.stringify(answer)).toBe(true);
    expect(textOf(answer)).toMatch(/the client closed stdin before answering/);
    await exitsCleanly(hangar, [marker]);
  });
});
