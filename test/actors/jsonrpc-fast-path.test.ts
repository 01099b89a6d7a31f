import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { isPlainResultResponse } from "../../src/actors/jsonrpc-fast-path.js";

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
