import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { ChildProcessTransport, MalformedLineError } from "../../src/actors/child-process-transport.js";

function setup() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new ChildProcessTransport(stdin, stdout);
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

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("ChildProcessTransport", () => {
  it("delivers messages split across chunks and skips lines that are not JSON-RPC", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.write("banner: not json\n");
    t.stdout.write('{"jsonrpc":"2.0","id":1,"res');
    t.stdout.write('ult":{"a":1}}\r\n{"not":"json-rpc"}\n');
    t.stdout.write('{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n');
    await flush();
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

  it("closes once when the provider ends stdout, and says so", async () => {
    const t = setup();
    await t.transport.start();
    t.stdout.end();
    await flush();
    expect(t.closes()).toBe(1);
    expect(t.transport.endedByPeer).toBe(true);
    expect(t.stdin.writableEnded).toBe(true);
    await expect(t.transport.send({ jsonrpc: "2.0", id: 1, method: "ping" })).rejects.toThrow(/Not connected/);
    await t.transport.close();
    expect(t.closes()).toBe(1);
  });

  it("close() ends stdin and stops delivering", async () => {
    const t = setup();
    await t.transport.start();
    await t.transport.close();
    expect(t.transport.endedByPeer).toBe(false);
    expect(t.stdin.writableEnded).toBe(true);
    t.stdout.write('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await flush();
    expect(t.messages).toEqual([]);
    expect(t.closes()).toBe(1);
  });

  it("reports pipe errors without throwing", async () => {
    const t = setup();
    await t.transport.start();
    t.stdin.emit("error", Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    expect(t.errors.map((error) => error.message)).toEqual(["write EPIPE"]);
  });
});
