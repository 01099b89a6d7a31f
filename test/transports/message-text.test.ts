import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, Writable } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { NodeStreamableTransport } from "../../src/transports/http/streamable-transport.js";
import { messageText, splicedMessage, withJsonBytes } from "../../src/transports/message-text.js";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { turnEnds } from "../helpers/wait.js";

/** A result as a cached tools/list answer is: non-ASCII text, nested members. */
const result = () => ({ tools: [{ name: "p__echo", description: "Returns its text — unchanged ✓", inputSchema: { type: "object" } }] });

/** Each way a message may hold a result: the SDK's order, another order, members JSON leaves out. */
const messages = (): JSONRPCMessage[] => [
  { result: withJsonBytes(result()), jsonrpc: "2.0", id: 7 },
  { jsonrpc: "2.0", id: "é-\"quoted\"", result: withJsonBytes(result()) },
  { id: 0, result: withJsonBytes(result()), jsonrpc: "2.0", extra: undefined } as JSONRPCMessage,
];

describe("results serialized once (withJsonBytes)", () => {
  it("are written byte for byte as JSON.stringify writes the message", () => {
    for (const message of messages()) {
      const spliced = splicedMessage(message);
      expect(spliced).toBeDefined();
      const bytes = Buffer.concat([Buffer.from(spliced?.head ?? ""), spliced?.result ?? Buffer.alloc(0), Buffer.from(spliced?.tail ?? "")]);
      expect(bytes.toString("utf8")).toBe(JSON.stringify(message));
      expect(messageText(message)).toBe(JSON.stringify(message));
    }
    // Without bytes made: serialized as usual.
    const plain: JSONRPCMessage = { result: result(), jsonrpc: "2.0", id: 1 };
    expect(splicedMessage(plain)).toBeUndefined();
    expect(messageText(plain)).toBe(JSON.stringify(plain));
  });

  it("are frozen: the bytes could not follow a change", () => {
    const shared = withJsonBytes(result());
    expect(Object.isFrozen(shared)).toBe(true);
    expect(() => {
      (shared as { tools: unknown }).tools = [];
    }).toThrow(TypeError);
  });

  it("leave the stdio transport as one line, in one write to the stream", async () => {
    const stdin = new PassThrough();
    const batches: string[][] = [];
    const stdout = new Writable({
      writev(chunks, callback) {
        batches.push(chunks.map(({ chunk }) => (chunk as Buffer).toString("utf8")));
        callback();
      },
    });
    const transport = new StdioServerLineTransport(stdin, stdout);
    await transport.start();
    for (const message of messages()) {
      const { id } = message as { id: string | number };
      stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list" })}\n`);
    }
    await turnEnds();
    // One at a time: the answers of one tick would leave together (TickWrites).
    for (const message of messages()) {
      await transport.send(message);
      await turnEnds();
    }
    expect(batches.map((batch) => batch.join(""))).toEqual(messages().map((message) => `${JSON.stringify(message)}\n`));
    // Every request was answered: the drain's bookkeeping saw each answer.
    expect(transport.unanswered.size).toBe(0);
  });
});

describe("results serialized once, over streamable HTTP", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.close();
    if (server !== undefined) await once(server, "close");
    server = undefined;
  });

  it("answer a POST with the message's JSON and its length in bytes", async () => {
    const transport = new NodeStreamableTransport({ sessionId: "s" });
    const message = messages()[1] as JSONRPCMessage & { id: string };
    transport.onmessage = () => {
      void transport.send(message);
    };
    server = createServer((req, res) => {
      transport.handlePost(req, res, { jsonrpc: "2.0", id: message.id, method: "tools/list" }, undefined, false);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/mcp`, { method: "POST", headers: { accept: "application/json, text/event-stream" }, body: "{}" });
    const body = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(Number(response.headers.get("content-length"))).toBe(body.length);
    expect(body.toString("utf8")).toBe(JSON.stringify(message));
  });
});
