import { PassThrough, Writable } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { turnEnds } from "../helpers/wait.js";

/** The transport on in-memory streams: what it writes is kept, one entry per write. */
function open(options: { maxMessageBytes?: number; highWaterMark?: number } = {}) {
  const stdin = new PassThrough();
  const writes: string[] = [];
  let release: (() => void) | undefined;
  const stdout = new Writable({
    highWaterMark: options.highWaterMark ?? 16_384,
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk.toString("utf8"));
      // With a tiny highWaterMark the test holds the write to see backpressure.
      if (options.highWaterMark === undefined) callback();
      else release = callback;
    },
  });
  const transport = new StdioServerLineTransport(stdin, stdout, options);
  const received: JSONRPCMessage[] = [];
  const errors: string[] = [];
  transport.onmessage = (message) => received.push(message);
  transport.onerror = (error) => errors.push(error.message);
  return { stdin, stdout, writes, transport, received, errors, release: () => release?.() };
}

describe("StdioServerLineTransport", () => {
  it("reads messages split across chunks and several in one chunk, CRLF or LF", async () => {
    const { stdin, transport, received } = open();
    await transport.start();
    const line = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "é", arguments: {} } });
    const bytes = Buffer.from(`${line}\r\n`, "utf8");
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
    stdin.write(bytes.subarray(0, cut));
    stdin.write(bytes.subarray(cut));
    stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n\n{"jsonrpc":"2.0","id":"r","result":{}}\n');
    await turnEnds();
    expect(received).toEqual([JSON.parse(line), { jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: "r", result: {} }]);
  });

  it("takes what only the SDK's schema accepts, through the schema", async () => {
    const { stdin, transport, received, writes } = open();
    await transport.start();
    // An error answer from the client (no fast check for those) and a related-task _meta.
    stdin.write('{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}\n');
    stdin.write('{"jsonrpc":"2.0","id":4,"method":"x","params":{"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"t"}}}}\n');
    await turnEnds();
    expect(received).toHaveLength(2);
    expect(writes).toEqual([]);
  });

  it("never answers a notification MCP refuses (JSON-RPC answers no notification), but answers what is no notification at all", async () => {
    const { stdin, transport, received, writes, errors } = open();
    await transport.start();
    stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized","params":[]}\n');
    stdin.write('{"jsonrpc":"2.0","method":"notifications/progress","params":{"_meta":{"progressToken":true}}}\n');
    await turnEnds();
    expect(received).toEqual([]);
    expect(writes).toEqual([]);
    expect(errors).toEqual([
      'a notification MCP cannot take was dropped ("params" must be an object, not an array)',
      'a notification MCP cannot take was dropped ("params._meta.progressToken" must be a string or an integer, not true)',
    ]);
    // No id, but no notification either (params null, an extra member): Invalid Request, answered.
    stdin.write('{"jsonrpc":"2.0","method":"ping","params":null}\n{"jsonrpc":"2.0","method":"ping","extra":1}\n');
    await turnEnds();
    expect(writes.join("").trim().split("\n").map((line) => (JSON.parse(line) as { error: { code: number } }).error.code)).toEqual([-32600, -32600]);
  });

  it("at stdin EOF reads a last line without its newline as any other, ignores a blank one, and still bounds its size", async () => {
    const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "t", arguments: {} } };
    const cases: { tail: string; received: JSONRPCMessage[]; writes: string[] }[] = [
      { tail: JSON.stringify(call), received: [call as JSONRPCMessage], writes: [] },
      { tail: " \t\r", received: [], writes: [] },
      { tail: "{not json", received: [], writes: [`${JSON.stringify({ jsonrpc: "2.0", error: { code: -32700, message: "Parse error: the line is not JSON" } })}\n`] },
      { tail: "x".repeat(129), received: [], writes: [`${JSON.stringify({ jsonrpc: "2.0", error: { code: -32600, message: "Invalid Request: a message longer than 128 bytes was skipped" } })}\n`] },
    ];
    for (const expected of cases) {
      const { stdin, transport, received, writes } = open({ maxMessageBytes: 128 });
      const openAtEnd: number[] = [];
      transport.onInputEnd = () => openAtEnd.push(transport.unanswered.size);
      await transport.start();
      stdin.end(expected.tail);
      await new Promise((resolve) => stdin.once("end", resolve));
      await turnEnds();
      expect(received, expected.tail).toEqual(expected.received);
      expect(writes, expected.tail).toEqual(expected.writes);
      // The last request is open when the front end hears of EOF: the drain answers it.
      expect(openAtEnd).toEqual([expected.received.length]);
    }
  });

  it("writes each message as one line in one write, and waits for the pipe to drain when it is full", async () => {
    const { transport, writes, release } = open({ highWaterMark: 1 });
    await transport.start();
    let sent = false;
    const sending = transport.send({ jsonrpc: "2.0", id: 1, result: {} }).then(() => {
      sent = true;
    });
    await turnEnds();
    expect(writes).toEqual(['{"jsonrpc":"2.0","id":1,"result":{}}\n']);
    expect(sent).toBe(false);
    release();
    await sending;
    expect(sent).toBe(true);
  });

  it("writes a tick's first answer at once and the rest of the tick's together in one write", async () => {
    const stdin = new PassThrough();
    const writes: string[][] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push([chunk.toString("utf8")]);
        callback();
      },
      writev(chunks, callback) {
        writes.push(chunks.map(({ chunk }) => (chunk as Buffer).toString("utf8")));
        callback();
      },
    });
    const transport = new StdioServerLineTransport(stdin, stdout);
    await transport.start();
    const sent = [1, 2, 3, 4].map((id) => transport.send({ jsonrpc: "2.0", id, result: {} }));
    expect(writes).toEqual([['{"jsonrpc":"2.0","id":1,"result":{}}\n']]); // the rest held until the tick ends
    await Promise.all(sent);
    await turnEnds();
    await transport.send({ jsonrpc: "2.0", id: 5, result: { text: "é" } });
    await turnEnds();
    expect(writes).toEqual([
      ['{"jsonrpc":"2.0","id":1,"result":{}}\n'],
      ['{"jsonrpc":"2.0","id":2,"result":{}}\n', '{"jsonrpc":"2.0","id":3,"result":{}}\n', '{"jsonrpc":"2.0","id":4,"result":{}}\n'],
      ['{"jsonrpc":"2.0","id":5,"result":{"text":"é"}}\n'],
    ]);
  });

  it("lets the lines corked before a close out at the close, not a tick later", async () => {
    const { transport, writes } = open();
    await transport.start();
    void transport.send({ jsonrpc: "2.0", id: 1, result: {} });
    void transport.send({ jsonrpc: "2.0", id: 2, result: {} });
    await transport.close();
    expect(writes).toEqual(['{"jsonrpc":"2.0","id":1,"result":{}}\n', '{"jsonrpc":"2.0","id":2,"result":{}}\n']);
    await turnEnds();
    expect(writes).toHaveLength(2);
  });

  it("reports close once, stops reading, and refuses to send afterwards", async () => {
    const { stdin, transport, received } = open();
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.start();
    await transport.close();
    await transport.close();
    stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
    await turnEnds();
    expect(closes).toBe(1);
    expect(received).toEqual([]);
    expect(stdin.isPaused()).toBe(true);
    await expect(transport.send({ jsonrpc: "2.0", id: 1, result: {} })).rejects.toThrow("Not connected");
  });

  it("reports a stream error instead of crashing on it", async () => {
    const { stdout, transport, errors } = open();
    await transport.start();
    stdout.emit("error", new Error("write EPIPE"));
    expect(errors).toEqual(["write EPIPE"]);
  });
});
