/* eslint-disable @typescript-eslint/no-deprecated -- the low-level Server is what the front end builds on. */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { Protocol } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolRequestSchema, McpError, type JSONRPCMessage, type MessageExtraInfo } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { RpcError } from "../../src/transports/rpc-error.js";
import { HangarServer, type RoutedToolCallExtra, type ToolCallHandler } from "../../src/transports/tool-call-router.js";
import { turnEnds } from "../helpers/wait.js";

/** A transport the test drives by hand: what the server sends is recorded with its options. */
class RecordingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];
  readonly sent: { message: JSONRPCMessage; options?: TransportSendOptions }[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly sessionId?: string) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.sent.push(options === undefined ? { message } : { message, options });
    for (const wake of this.waiters.splice(0)) wake();
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.onclose?.();
    return Promise.resolve();
  }

  deliver(message: unknown, extra?: MessageExtraInfo): void {
    this.onmessage?.(message as JSONRPCMessage, extra);
  }

  /** Resolves once `count` messages have been sent. */
  async sentCount(count: number): Promise<void> {
    while (this.sent.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** What a handler saw, sent back as its result so both paths can be compared by their answers. */
const handler: ToolCallHandler = async (request, extra) => {
  const { name, arguments: args, _meta: meta } = request.params;
  switch (name) {
    case "rpc":
      throw new RpcError(-32042, "open the link", { url: "https://example.com" });
    case "mcp":
      throw new McpError(-32602, "bad params");
    case "plain":
      throw new Error("boom");
    case "string":
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a careless handler throws
      throw "not an error";
    case "progress":
      await extra.sendNotification({ method: "notifications/progress", params: { progressToken: meta?.progressToken ?? "none", progress: 1 } });
      break;
    case "wait":
      await new Promise((resolve) => { extra.signal.addEventListener("abort", resolve); });
      break;
  }
  const seen = { name, args, meta, requestId: extra.requestId, sessionId: extra.sessionId, authInfo: extra.authInfo, headers: extra.requestInfo?.headers };
  return { content: [{ type: "text", text: JSON.stringify(seen) }] };
};

const INFO = { name: "router-test", version: "1" };
const OPTIONS = { capabilities: { tools: {} } };

/** The server as the hangar set it up before the short route: the handler registered on Protocol. */
async function sdkPath(sessionId?: string): Promise<RecordingTransport> {
  const server = new Server(INFO, OPTIONS);
  Protocol.prototype.setRequestHandler.call(server, CallToolRequestSchema, handler);
  const transport = new RecordingTransport(sessionId);
  await server.connect(transport);
  return transport;
}

async function shortRoute(sessionId?: string): Promise<RecordingTransport> {
  const server = new HangarServer(INFO, OPTIONS);
  server.handleToolCalls(handler);
  const transport = new RecordingTransport(sessionId);
  await server.connect(transport);
  return transport;
}

const call = (id: unknown, params: unknown): object => ({ jsonrpc: "2.0", id, method: "tools/call", params });

/** Each message is answered; the answers (and what the handler saw) must be the same on both paths. */
const ANSWERED: { what: string; message: object; extra?: MessageExtraInfo; sends?: number }[] = [
  { what: "a plain call", message: call(1, { name: "echo", arguments: { text: "hi" } }) },
  { what: "a string id", message: call("abc", { name: "echo", arguments: {} }) },
  { what: "id 0 and no arguments", message: call(0, { name: "echo" }) },
  { what: "a _meta with a progress token and more", message: call(2, { name: "echo", _meta: { progressToken: 5, "x/trace": { a: 1 } } }) },
  { what: "unknown params keys (the schema drops them)", message: call(3, { name: "echo", extra: true }) },
  { what: "an RpcError with data", message: call(4, { name: "rpc" }) },
  { what: "an McpError", message: call(5, { name: "mcp" }) },
  { what: "a plain Error", message: call(6, { name: "plain" }) },
  { what: "a thrown string", message: call(7, { name: "string" }) },
  { what: "an own __proto__ in arguments (the SDK's schema drops it)", message: JSON.parse('{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"echo","arguments":{"__proto__":{"a":1},"b":2}}}') as object },
  { what: "a task-augmented call (the SDK's path)", message: call(11, { name: "echo", task: { ttl: 1000 } }) },
  { what: "auth and headers of the transport", message: call(12, { name: "echo" }), extra: { authInfo: { token: "t", clientId: "alice", scopes: ["admin"] }, requestInfo: { headers: { traceparent: "00-abc" } } } },
  { what: "progress related to the request", message: call(13, { name: "progress", _meta: { progressToken: "tok" } }), sends: 2 },
];

describe("the tools/call short route", () => {
  it("answers every call as the SDK's own path does", async () => {
    for (const { what, message, extra, sends = 1 } of ANSWERED) {
      const sdk = await sdkPath("session-1");
      const short = await shortRoute("session-1");
      sdk.deliver(message, extra);
      short.deliver(message, extra);
      await Promise.all([sdk.sentCount(sends), short.sentCount(sends)]);
      expect(short.sent, what).toEqual(sdk.sent);
    }
  });

  it("answers params of the wrong shape -32602 Invalid params in words (the SDK's path answers -32603 with zod's issues)", async () => {
    const short = await shortRoute("session-1");
    short.deliver(call(8, { name: "echo", arguments: [1] }));
    short.deliver(call(9, { arguments: {} }));
    await short.sentCount(2);
    expect(short.sent.map(({ message }) => message)).toEqual([
      { jsonrpc: "2.0", id: 8, error: { code: -32602, message: "tools/call: params.arguments must be an object, not an array" } },
      { jsonrpc: "2.0", id: 9, error: { code: -32602, message: "tools/call: params.name is missing (a string)" } },
    ]);
  });

  it("aborts a call on notifications/cancelled for its id and answers nothing, as the SDK's path", async () => {
    for (const make of [sdkPath, shortRoute]) {
      const transport = await make();
      transport.deliver(call("slow", { name: "wait" }));
      transport.deliver({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "other" } });
      transport.deliver(call("next", { name: "echo" }));
      await transport.sentCount(1);
      transport.deliver({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: "slow", reason: "enough" } });
      transport.deliver(call("last", { name: "echo" }));
      await transport.sentCount(2);
      // The aborted handler returned too; an answer to it would have come before "last"'s.
      await turnEnds();
      expect(transport.sent.map(({ message }) => ("id" in message ? message.id : undefined))).toEqual(["next", "last"]);
    }
  });

  it("aborts the calls still running when the transport closes", async () => {
    const aborted: string[] = [];
    const server = new HangarServer(INFO, OPTIONS);
    server.handleToolCalls(async (request, extra) => {
      // The handler runs a microtask after the call is read, so the close may come first.
      if (!extra.signal.aborted) await new Promise((resolve) => { extra.signal.addEventListener("abort", resolve); });
      aborted.push(request.params.name);
      return { content: [] };
    });
    const other = new RecordingTransport();
    await server.connect(other);
    other.deliver(call(1, { name: "a" }));
    other.deliver(call(2, { name: "b" }));
    await other.close();
    await turnEnds();
    expect(aborted).toEqual(["a", "b"]);
    expect(other.sent).toEqual([]);
  });

  it("sends an answer given through answerFirst at once, once, and never after a cancellation", async () => {
    const server = new HangarServer(INFO, OPTIONS);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    server.handleToolCalls(async (request, extra) => {
      const { answerFirst } = extra as RoutedToolCallExtra;
      if (answerFirst === undefined) throw new Error("no answerFirst on the short route");
      const name = request.params.name;
      if (name === "wait") await new Promise((resolve) => { extra.signal.addEventListener("abort", resolve); });
      answerFirst(() => {
        if (name === "fail") throw new RpcError(-32042, "open the link", { url: "https://example.com" });
        return { content: [{ type: "text", text: `first ${name}` }] };
      });
      // The handler's own result (or a second answerFirst) is never sent once answered.
      answerFirst(() => ({ content: [{ type: "text", text: "second" }] }));
      await held;
      if (name === "fail") throw new Error("too late");
      return { content: [{ type: "text", text: "late" }] };
    });
    const transport = new RecordingTransport();
    await server.connect(transport);
    transport.deliver(call(1, { name: "ok" }));
    transport.deliver(call(2, { name: "fail" }));
    transport.deliver(call(3, { name: "wait" }));
    await transport.sentCount(2);
    // Answered while the handlers still hold their promises.
    expect(transport.sent.map(({ message }) => message)).toEqual([
      { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "first ok" }] } },
      { jsonrpc: "2.0", id: 2, error: { code: -32042, message: "open the link", data: { url: "https://example.com" } } },
    ]);
    transport.deliver({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 3 } });
    release();
    await turnEnds();
    expect(transport.sent).toHaveLength(2);
  });

  it("offers no answerFirst on the SDK's path", async () => {
    const server = new Server(INFO, OPTIONS);
    let offered: unknown = "unset";
    Protocol.prototype.setRequestHandler.call(server, CallToolRequestSchema, (_request, extra) => {
      offered = (extra as RoutedToolCallExtra).answerFirst;
      return { content: [] };
    });
    const transport = new RecordingTransport();
    await server.connect(transport);
    transport.deliver(call(1, { name: "echo" }));
    await transport.sentCount(1);
    expect(offered).toBeUndefined();
  });
});
