import { CallToolRequestSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { isPlainRequestOrNotification, isPlainResultResponse, isPlainToolCallParams } from "../../src/actors/jsonrpc-fast-path.js";

const plain = [
  { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "hi" }] } },
  { jsonrpc: "2.0", id: "abc", result: {} },
  { result: { isError: true, content: [] }, id: 0, jsonrpc: "2.0" },
];
const notPlain = [
  { jsonrpc: "2.0", id: 1, result: { _meta: { progressToken: 1 } } }, // left to the schema
  { jsonrpc: "2.0", id: 1, result: { _meta: "not an object" } },
  { jsonrpc: "2.0", id: 1.5, result: {} },
  { jsonrpc: "2.0", id: null, result: {} },
  { jsonrpc: "2.0", id: 2 ** 60, result: {} },
  { jsonrpc: "1.0", id: 1, result: {} },
  { jsonrpc: "2.0", id: 1, result: [] },
  { jsonrpc: "2.0", id: 1, result: null },
  { jsonrpc: "2.0", id: 1, result: "text" },
  { jsonrpc: "2.0", id: 1, result: {}, extra: true },
  { jsonrpc: "2.0", result: {} },
  { jsonrpc: "2.0", id: 1, error: { code: -32601, message: "nope" } },
  { jsonrpc: "2.0", id: 1, method: "ping" },
  { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } },
  [],
  null,
  "2.0",
];

describe("the plain result answer fast path", () => {
  it("accepts plain result answers, which the SDK's schema accepts too", () => {
    for (const message of plain) {
      expect(isPlainResultResponse(message), JSON.stringify(message)).toBe(true);
      expect(JSONRPCMessageSchema.safeParse(message).success, JSON.stringify(message)).toBe(true);
    }
  });

  it("leaves everything else to the schema", () => {
    for (const message of notPlain) expect(isPlainResultResponse(message), JSON.stringify(message)).toBe(false);
  });
});

const plainRequests = [
  { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { text: "hi" } } },
  { jsonrpc: "2.0", id: "a", method: "tools/list" },
  { jsonrpc: "2.0", id: 0, method: "ping", params: {} },
  { jsonrpc: "2.0", id: -3, method: "x", params: { _meta: { progressToken: "t", "vendor/key": [1] } } },
  { jsonrpc: "2.0", id: 2, method: "x", params: { _meta: { progressToken: 7 }, other: null } },
  { jsonrpc: "2.0", id: 3, method: "x", params: { _meta: {} } },
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 4, reason: "no" } },
  { params: { a: 1 }, method: "m", jsonrpc: "2.0" },
];
const notPlainRequests = [
  { jsonrpc: "2.0", id: 1, method: "x", params: { _meta: { "io.modelcontextprotocol/related-task": { taskId: "t" } } } }, // left to the schema
  { jsonrpc: "2.0", id: 1, method: "x", params: { _meta: { progressToken: 1.5 } } },
  { jsonrpc: "2.0", id: 1, method: "x", params: { _meta: { progressToken: null } } },
  { jsonrpc: "2.0", id: 1, method: "x", params: { _meta: null } },
  { jsonrpc: "2.0", id: 1, method: "x", params: { _meta: [] } },
  { jsonrpc: "2.0", id: 1, method: "x", params: [] },
  { jsonrpc: "2.0", id: 1, method: "x", params: null },
  JSON.parse('{"jsonrpc":"2.0","id":1,"method":"x","params":{"__proto__":{"a":1}}}') as object,
  JSON.parse('{"jsonrpc":"2.0","id":1,"method":"x","params":{"_meta":{"__proto__":{}}}}') as object,
  { jsonrpc: "2.0", id: null, method: "x" },
  { jsonrpc: "2.0", id: 1.5, method: "x" },
  { jsonrpc: "2.0", id: 2 ** 60, method: "x" },
  { jsonrpc: "2.0", id: 1, method: 5 },
  { jsonrpc: "2.0", id: 1 },
  { jsonrpc: "1.0", id: 1, method: "x" },
  { jsonrpc: "2.0", id: 1, method: "x", extra: true },
  { jsonrpc: "2.0", id: 1, method: "x", result: {} },
  { jsonrpc: "2.0", id: 1, result: {} },
  [{ jsonrpc: "2.0", id: 1, method: "x" }],
  null,
];

describe("the plain request and notification fast path", () => {
  it("accepts plain requests and notifications, which the SDK's schema accepts unchanged", () => {
    for (const message of plainRequests) {
      expect(isPlainRequestOrNotification(message), JSON.stringify(message)).toBe(true);
      const parsed = JSONRPCMessageSchema.safeParse(message);
      expect(parsed.success, JSON.stringify(message)).toBe(true);
      expect(parsed.data, JSON.stringify(message)).toEqual(message);
    }
  });

  it("leaves everything else to the schema", () => {
    for (const message of notPlainRequests) expect(isPlainRequestOrNotification(message), JSON.stringify(message)).toBe(false);
  });
});

describe("the plain tools/call params check", () => {
  it("accepts what CallToolRequestSchema takes as it is", () => {
    for (const params of [{ name: "a" }, { name: "a", arguments: {} }, { name: "", arguments: { x: [1] }, _meta: { progressToken: 1 } }]) {
      expect(isPlainToolCallParams(params), JSON.stringify(params)).toBe(true);
      expect(CallToolRequestSchema.safeParse({ method: "tools/call", params }).data?.params, JSON.stringify(params)).toEqual(params);
    }
  });

  it("leaves odd shapes to the schema", () => {
    const odd = [
      {},
      { name: 1 },
      { name: "a", arguments: [] },
      { name: "a", arguments: null },
      { name: "a", arguments: "x" },
      { name: "a", task: { ttl: 1 } },
      JSON.parse('{"name":"a","arguments":{"__proto__":{"b":1}}}') as object,
      [],
      null,
    ];
    for (const params of odd) expect(isPlainToolCallParams(params), JSON.stringify(params)).toBe(false);
  });
});
