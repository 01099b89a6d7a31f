import { PassThrough, Writable } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Logger } from "../../src/observability/log.js";
import { StdinDrain } from "../../src/transports/stdin-drain.js";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { turnEnds } from "../helpers/wait.js";

/** The transport on in-memory streams, what it writes parsed, and a drain over it that records its shutdown. */
async function open(timeoutS: number) {
  const stdin = new PassThrough();
  const written: JSONRPCMessage[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") written.push(JSON.parse(line) as JSONRPCMessage);
      callback();
    },
  });
  const transport = new StdioServerLineTransport(stdin, stdout);
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (message) => received.push(message);
  const logged: string[] = [];
  const log = { debug: () => undefined, info: (msg: string) => logged.push(`info ${msg}`), warn: (msg: string) => logged.push(`warn ${msg}`), error: (msg: string) => logged.push(`error ${msg}`) } as unknown as Logger;
  const shutdowns: string[] = [];
  const drain = new StdinDrain(transport, timeoutS, log, (reason) => shutdowns.push(reason));
  transport.onInputEnd = drain.begin;
  await transport.start();
  const request = (id: number | string, method = "tools/call"): void => {
    stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params: { name: "t", arguments: {} } })}\n`);
  };
  const end = async (): Promise<void> => {
    stdin.end();
    await turnEnds();
  };
  return { stdin, transport, drain, received, written, logged, shutdowns, request, end };
}

describe("StdioServerLineTransport: requests still open", () => {
  it("owes an answer for each request read until it is written; a cancelled one is owed no more", async () => {
    const { transport, request, stdin } = await open(10);
    request(1);
    request("two");
    stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    await turnEnds();
    expect(transport.unanswered.size).toBe(2);
    await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
    expect(transport.unanswered.has(1)).toBe(false);
    stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "two" } })}\n`);
    await turnEnds();
    expect(transport.unanswered.size).toBe(0);
  });

  it("does not count a refused line as the answer to an open request with the same id", async () => {
    const { transport, request, stdin, written } = await open(10);
    request(5);
    stdin.write('{"jsonrpc":"2.0","id":5,"method":42}\n');
    await turnEnds();
    expect(written).toEqual([{ jsonrpc: "2.0", id: 5, error: { code: -32600, message: "Invalid Request: \"method\" must be a string, not the number 42" } }]);
    expect(transport.unanswered.has(5)).toBe(true);
  });

  it("after stdin ends: a request to the client still waiting gets an error in the client's stead, and a new one is refused", async () => {
    const { transport, received, written, end } = await open(10);
    await transport.send({ jsonrpc: "2.0", id: 7, method: "sampling/createMessage", params: {} });
    expect(written).toHaveLength(1);
    await end();
    expect(received).toEqual([{ jsonrpc: "2.0", id: 7, error: { code: -32000, message: "the client closed stdin before answering" } }]);
    await expect(transport.send({ jsonrpc: "2.0", id: 8, method: "roots/list" })).rejects.toThrow("the client closed stdin: it can no longer answer roots/list");
    expect(written).toHaveLength(1);
    // Notifications still go out: the client may read stdout until the hangar exits.
    await transport.send({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "x" } });
    expect(written).toHaveLength(2);
  });

  it("answers every open request with a stand-in error at once, and drops their own answers later", async () => {
    const { transport, request, written } = await open(10);
    request(1);
    request(2);
    await turnEnds();
    const error = { code: -32001, message: "cut" };
    expect(transport.answerUnanswered(error)).toBe(2);
    expect(transport.unanswered.size).toBe(0);
    await transport.send({ jsonrpc: "2.0", id: 1, result: { late: true } });
    await turnEnds();
    expect(written).toEqual([
      { jsonrpc: "2.0", id: 1, error },
      { jsonrpc: "2.0", id: 2, error },
    ]);
  });
});

describe("StdinDrain", () => {
  // The drain's timeout runs on a simulated clock; the streams' ticks and turns stay real.
  const simulatedClock = (): void => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shuts down at once at EOF when nothing is in flight", async () => {
    const { shutdowns, logged, end } = await open(10);
    await end();
    expect(shutdowns).toEqual(["stdin closed"]);
    expect(logged).toEqual([]);
  });

  it("shuts down once the last open request is answered, not before", async () => {
    const { transport, request, shutdowns, logged, end, drain } = await open(10);
    request(1);
    request(2);
    await end();
    expect(shutdowns).toEqual([]);
    expect(logged).toEqual(["info stdin closed with 2 requests in flight: answering them before shutting down (drain timeout 10 s)"]);
    await transport.send({ jsonrpc: "2.0", id: 2, result: {} });
    expect(shutdowns).toEqual([]);
    await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
    expect(shutdowns).toEqual(["stdin closed; 2 requests answered first"]);
    expect(logged[1]).toMatch(/^info drain finished: 2 requests answered in \d+ ms$/);
    // A second EOF-like event, or the signal handler's abandon, changes nothing now.
    drain.begin();
    drain.abandon("SIGTERM");
    expect(shutdowns).toHaveLength(1);
  });

  it("cuts what is still open when the drain times out, with an error saying why", async () => {
    simulatedClock();
    const { transport, request, shutdowns, logged, written, end } = await open(0.05);
    request(1);
    request(2);
    await end();
    await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
    vi.advanceTimersByTime(49);
    expect(shutdowns).toEqual([]);
    vi.advanceTimersByTime(1);
    await turnEnds();
    expect(shutdowns).toEqual(["stdin closed; drain timed out after 0.05 s"]);
    expect(written).toEqual([
      { jsonrpc: "2.0", id: 1, result: {} },
      { jsonrpc: "2.0", id: 2, error: { code: -32001, message: "the client closed stdin; drain timed out after 0.05 s", data: { reason: "stdin_closed_drain_timeout", drain_timeout_s: 0.05 } } },
    ]);
    expect(logged.at(-1)).toBe("warn drain timed out after 0.05 s: 1 of 2 requests answered, 1 cut with an error");
    expect(transport.unanswered.size).toBe(0);
  });

  it("stops waiting when a signal takes over: no shutdown of its own, no cut, ever", async () => {
    simulatedClock();
    const { transport, request, shutdowns, logged, written, end, drain } = await open(0.05);
    request(1);
    await end();
    drain.abandon("SIGTERM");
    expect(logged.at(-1)).toBe("info drain cut short by SIGTERM: 0 of 1 request answered, 1 left to the shutdown");
    // Past the timeout, and past the last answer: the drain does nothing more.
    vi.advanceTimersByTime(1_000);
    await transport.send({ jsonrpc: "2.0", id: 1, result: {} });
    expect(shutdowns).toEqual([]);
    expect(written).toEqual([{ jsonrpc: "2.0", id: 1, result: {} }]);
  });

  it("with drain_timeout_s 0, shuts down at once even with requests in flight", async () => {
    const { request, shutdowns, end } = await open(0);
    request(1);
    await end();
    expect(shutdowns).toEqual(["stdin closed"]);
  });
});
