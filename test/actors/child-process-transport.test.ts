import { PassThrough, Writable } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { ChildProcessTransport, MalformedLineError, MessageTooLargeError } from "../../src/actors/child-process-transport.js";
import { turnEnds } from "../helpers/wait.js";

function setup(maxMessageBytes?: number) {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new ChildProcessTransport(stdin, stdout, maxMessageBytes === undefined ? {} : { maxMessageBytes });
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  let closes = 0;
  transport.onmessage = (message) => {
    messages.push(message);
  };
  transport.onerror = (error) => {
    errors.push(error);
  };
  transport.onclose = () => {
    closes++;
  };
  return { stdin, stdout, transport, messages, errors, closes: () => closes };
}


describe("ChildProcessTransport", () => {
  it("delivers messages split across chunks and skips lines that are not JSON-RPC", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.write("banner: not json\n");
    t.stdout.write('{"jsonrpc":"2.0","id":1,"res');
    t.stdout.write('ult":{"a":1}}\r\n{"not":"json-rpc"}\n');
    t.stdout.write('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n');
    await turnEnds();
    expect(t.messages).toEqual([
      { jsonrpc: "2.0", id: 1, result: { a: 1 } },
      { jsonrpc: "2.0", method: "notifications/tools/list_changed" },
    ]);
    expect(t.errors).toHaveLength(2);
    expect(t.errors.every((error) => error instanceof MalformedLineError)).toBe(true);
    expect(t.errors[0]?.message).toContain("not json");
    expect(t.closes()).toBe(0);
  });

  it("writes one line per message", async () => {
    const t = setup();
    await t.transport.start();
    await t.transport.send({ jsonrpc: "2.0", id: 7, method: "ping" });
    expect(String(t.stdin.read())).toBe('{"jsonrpc":"2.0","id":7,"method":"ping"}\n');
  });

  it("write() sends a turn's first message at once and the rest of the event loop's turn together in one write", async () => {
    // A real Writable that records each system-call-sized write it is handed (write or writev).
    const writes: string[][] = [];
    const stdin = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push([chunk.toString()]);
        done();
      },
      writev(chunks, done) {
        writes.push(chunks.map(({ chunk }) => (chunk as Buffer).toString()));
        done();
      },
    });
    const transport = new ChildProcessTransport(stdin, new PassThrough());
    await transport.start();
    const line = (id: number): string => `${JSON.stringify({ jsonrpc: "2.0", id, method: "ping" })}\n`;
    const ping = (id: number): JSONRPCMessage => ({ jsonrpc: "2.0", id, method: "ping" });

    expect(transport.write(ping(1))).toBe(true);
    // The first message of the turn is out before write() returns: the provider can start on it.
    expect(writes).toEqual([[line(1)]]);
    transport.write(ping(2));
    // Another tick of the same turn, as the next HTTP request read from another socket is: still held.
    await new Promise((resolve) => { process.nextTick(resolve); });
    transport.write(ping(3));
    await new Promise((resolve) => { process.nextTick(resolve); });
    expect(writes).toHaveLength(1);
    await turnEnds();
    expect(writes).toEqual([[line(1)], [line(2), line(3)]]);

    // A new turn starts over: its first message leaves at once again.
    transport.write(ping(4));
    expect(writes).toEqual([[line(1)], [line(2), line(3)], [line(4)]]);
    await turnEnds();
    expect(writes).toHaveLength(3);
  });

  it("closes once when the provider ends stdout, and says so", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.end();
    await turnEnds();
    expect(t.closes()).toBe(1);
    expect(t.transport.endedByPeer).toBe(true);
    expect(t.stdin.writableEnded).toBe(true);
    await expect(t.transport.send({ jsonrpc: "2.0", id: 1, method: "ping" })).rejects.toThrow(/Not connected/);
    await t.transport.close();
    expect(t.closes()).toBe(1);
  });

  it("at the end of stdout delivers a last line without its newline before it closes, and not a blank one", async () => {
    const events: string[] = [];
    for (const tail of ['{"jsonrpc":"2.0","id":1,"result":{}}', " \t\r"]) {
      const t = setup();
      t.transport.onmessage = (message) => events.push(`message ${JSON.stringify(message)}`);
      t.transport.onclose = () => events.push("close");
      await t.transport.start();
      t.stdout.end(tail);
      await new Promise((resolve) => t.stdout.once("end", resolve));
      expect(t.errors).toEqual([]);
      expect(t.transport.endedByPeer).toBe(true);
    }
    expect(events).toEqual(['message {"jsonrpc":"2.0","id":1,"result":{}}', "close", "close"]);
  });

  it("drops a line cut by a broken pipe (closed without an end)", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}');
    await turnEnds();
    t.stdout.destroy();
    await new Promise((resolve) => t.stdout.once("close", resolve));
    expect(t.messages).toEqual([]);
    expect(t.errors).toEqual([]);
    expect(t.closes()).toBe(1);
  });

  it("close() ends stdin and stops delivering", async () => {
    const t = setup();
    await t.transport.start();
    await t.transport.close();
    expect(t.transport.endedByPeer).toBe(false);
    expect(t.stdin.writableEnded).toBe(true);
    t.stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await turnEnds();
    expect(t.messages).toEqual([]);
    expect(t.closes()).toBe(1);
  });

  it("reports pipe errors without throwing", async () => {
    const t = setup();
    await t.transport.start();
    t.stdin.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(t.errors.map((error) => error.message)).toEqual(["write EPIPE"]);
  });

  it("skips empty lines silently and quotes only an excerpt of a bad line", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.write(`\n\r\n${"y".repeat(5_000)}\n{"jsonrpc":"2.0","id":2,"result":{}}\n`);
    await turnEnds();
    expect(t.messages).toEqual([{ jsonrpc: "2.0", id: 2, result: {} }]);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]?.message.length).toBeLessThan(300);
  });

  it("reassembles multi-byte characters split across chunks", async () => {
    const t = setup();
    await t.transport.start();
    const bytes = Buffer.from('{"jsonrpc":"2.0","id":3,"result":{"text":"日本語 ✓"}}\n', "utf8");
    const cut = bytes.indexOf(Buffer.from("本", "utf8")) + 1; // inside the character
    t.stdout.write(bytes.subarray(0, cut));
    t.stdout.write(bytes.subarray(cut));
    await turnEnds();
    expect(t.messages).toEqual([{ jsonrpc: "2.0", id: 3, result: { text: "日本語 ✓" } }]);
  });

  it("delivers a large message written in many small chunks, quickly", async () => {
    const t = setup();
    await t.transport.start();
    const big = "z".repeat(12 * 1024 * 1024); // over the SDK ReadBuffer's 10 MB cap
    const line = Buffer.from(`${JSON.stringify({ jsonrpc: "2.0", id: 4, result: { big } })}\n`);
    const started = performance.now();
    for (let offset = 0; offset < line.length; offset += 64 * 1024) t.stdout.write(line.subarray(offset, offset + 64 * 1024));
    await turnEnds();
    expect(t.messages).toHaveLength(1);
    expect((t.messages[0] as unknown as { result: { big: string } }).result.big.length).toBe(big.length);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(t.errors).toEqual([]);
  });

  it("accepts a line of exactly max_message_bytes and refuses one byte more", async () => {
    const message = '{"jsonrpc":"2.0","id":5,"result":{}}';
    const exact = setup(Buffer.byteLength(message));
    await exact.transport.start();
    exact.stdout.write(`${message}\n`);
    await turnEnds();
    expect(exact.messages).toHaveLength(1);
    expect(exact.closes()).toBe(0);

    const over = setup(Buffer.byteLength(message) - 1);
    await over.transport.start();
    over.stdout.write(`${message}\n`);
    await turnEnds();
    expect(over.messages).toEqual([]);
    expect(over.errors).toHaveLength(1);
    expect(over.errors[0]).toBeInstanceOf(MessageTooLargeError);
    expect(over.errors[0]?.message).toBe(`provider sent a message of more than ${Buffer.byteLength(message) - 1} bytes (max_message_bytes)`);
    expect(over.closes()).toBe(1);
  });

  it("refuses an oversized line before its newline arrives, closes, and then only drains", async () => {
    const t = setup(100_000);
    await t.transport.start();
    t.stdout.write('{"jsonrpc":"2.0","id":6,"result":{}}\n');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    t.stdout.write(chunk);
    await turnEnds();
    expect(t.errors).toEqual([]); // 64 KB pending: still under the limit
    t.stdout.write(chunk);
    await turnEnds();
    expect(t.messages).toHaveLength(1);
    expect(t.errors.map((error) => error.constructor)).toEqual([MessageTooLargeError]);
    expect(t.closes()).toBe(1);
    expect(t.stdin.writableEnded).toBe(true);
    // Whatever follows is drained and dropped, never buffered or delivered.
    for (let i = 0; i < 50; i++) t.stdout.write(chunk);
    t.stdout.write('\n{"jsonrpc":"2.0","id":7,"result":{}}\n');
    await turnEnds();
    expect(t.messages).toHaveLength(1);
    expect(t.errors).toHaveLength(1);
    expect(t.stdout.readableLength).toBe(0);
  });
});
