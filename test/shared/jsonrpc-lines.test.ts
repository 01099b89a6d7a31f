import { describe, expect, it } from "vitest";
import { isPlainRequestOrNotification, isPlainResultResponse, isPlainToolCallParams } from "../../src/actors/jsonrpc-fast-path.js";
import { jsonRpcLine, readResultLine, readToolCallLine } from "../../src/shared/jsonrpc-lines.js";
import { keepVerbatim, verbatimOf } from "../../src/shared/verbatim-json.js";

/** Values no serializer writes so: numbers in their own notation, escapes, an id and a key twice inside. */
const ODD = '{"big":12345678901234567890,"one":1.0,"huge":1e400,"esc":"\\u00e9\\ud800","id":"hangar-9","in":{"id":1,"k":1,"k":2}}';

const results = [
  `{"result":${ODD},"jsonrpc":"2.0","id":"hangar-1"}`,
  `{"jsonrpc":"2.0","id":-7,"result":${ODD}}`,
  '{"result":{},"jsonrpc":"2.0","id":0}',
  '{"result":{"isError":true,"content":[]},"jsonrpc":"2.0","id":""}',
  '{"jsonrpc":"2.0","id":"a,\\"result\\":{}","result":{}}', // an escape in the id: the general path
  '{"result":{"a":1},"result":{"b":2},"jsonrpc":"2.0","id":1}', // a key twice: the general path
  '{"result":{"a":1},"jsonrpc":"2.0","id":1,"id":2}',
  '{"result":{"a":1},"jsonrpc":"2.0","id":"x","extra":1}',
  '{"result":{"a":1,"jsonrpc":"2.0","id":1}}',
  '{"result":{"_meta":{"x":1}},"jsonrpc":"2.0","id":1}', // left to the schema
  '{"result":[1],"jsonrpc":"2.0","id":1}',
  '{"result":"text","jsonrpc":"2.0","id":1}',
  '{"result":{},"jsonrpc":"2.0","id":01}', // not JSON
  '{"result":{},"jsonrpc":"2.0","id":1.0}', // JSON, but left to the general path
  '{"result":{},"jsonrpc":"2.0","id":9007199254740993}',
  '{"result":{}, "jsonrpc":"2.0","id":1}',
  '{"result":{},"jsonrpc":"2.0","id":"tab\there"}', // a control character: not JSON
  '{"jsonrpc":"2.0","id":1,"result":{}}}',
  '{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":{},"result":{}}}',
];

const calls = [
  `{"method":"tools/call","params":{"name":"p__echo","arguments":${ODD}},"jsonrpc":"2.0","id":1}`,
  `{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"p__echo","arguments":${ODD}}}`,
  '{"method":"tools/call","params":{"name":"p__echo","arguments":{"x":"},\\"jsonrpc\\":\\"2.0\\",\\"id\\":3"}},"jsonrpc":"2.0","id":1}',
  '{"method":"tools/call","params":{"name":"p\\u005fecho","arguments":{}},"jsonrpc":"2.0","id":1}', // an escape in the name
  '{"method":"tools/call","params":{"name":"p","arguments":{"__proto__":{}}},"jsonrpc":"2.0","id":1}',
  '{"method":"tools/call","params":{"name":"p","arguments":{"a":1},"arguments":{"a":2}},"jsonrpc":"2.0","id":1}',
  '{"method":"tools/call","params":{"name":"p","arguments":{}},"jsonrpc":"2.0","id":1},"jsonrpc":"2.0","id":2}',
  '{"method":"tools/call","params":{"name":"p","arguments":[]},"jsonrpc":"2.0","id":1}',
  '{"method":"tools/call","params":{"name":"p","arguments":{},"_meta":{"progressToken":1}},"jsonrpc":"2.0","id":1}',
  '{"method":"tools/call","params":{"name":"p","arguments":{}},"jsonrpc":"2.0"}',
  '{"method":"tools/call","params":{"name":"p","arguments":{}},"jsonrpc":"2.0","id":null}',
  '{"method":"tools/call","params":{"name":"p","arguments":{}},"jsonrpc":"2.0","id":1e3}',
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"p","arguments":{"a":1}},"x":{}}',
  '{"method":"tools/call","params":{"name":"p","arguments":{"a":1}}, "jsonrpc":"2.0","id":1}',
];

/** What the general path makes of a line (undefined: not a plain message of that kind). */
function parsedResult(line: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    return isPlainResultResponse(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
function parsedCall(line: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    if (!isPlainRequestOrNotification(value) || value.method !== "tools/call" || !("id" in value)) return undefined;
    return isPlainToolCallParams(value.params) ? value : undefined;
  } catch {
    return undefined;
  }
}

describe("reading a line with its payload's text kept", () => {
  it("reads a plain result answer as JSON.parse does, and leaves every other line to the general path", () => {
    for (const line of results) {
      const read = readResultLine(line);
      if (read !== undefined) expect(read, line).toEqual(parsedResult(line));
    }
    expect(results.filter((line) => readResultLine(line) !== undefined)).toEqual(results.slice(0, 4));
  });

  it("reads a plain tools/call as JSON.parse does, and leaves every other line to the general path", () => {
    for (const line of calls) {
      const read = readToolCallLine(line);
      if (read !== undefined) expect(read, line).toEqual(parsedCall(line));
    }
    expect(calls.filter((line) => readToolCallLine(line) !== undefined)).toEqual(calls.slice(0, 3));
  });
});

describe("writing a line", () => {
  it("splices a result's kept text into the client's answer, once", () => {
    const result = readResultLine(`{"result":${ODD},"jsonrpc":"2.0","id":"hangar-1"}`)?.result;
    if (result === undefined) throw new Error("not read");
    expect(jsonRpcLine({ result, jsonrpc: "2.0", id: 7 })).toBe(`{"result":${ODD},"jsonrpc":"2.0","id":7}\n`);
    // The text is taken: a second write of the same value serializes it.
    expect(jsonRpcLine({ result, jsonrpc: "2.0", id: 7 })).toBe(`${JSON.stringify({ result, jsonrpc: "2.0", id: 7 })}\n`);
  });

  it("splices a call's kept arguments into the provider's request, with the hangar's id, name and _meta", () => {
    const args = readToolCallLine(`{"method":"tools/call","params":{"name":"p__echo","arguments":${ODD}},"jsonrpc":"2.0","id":1}`)?.params?.arguments;
    if (args === undefined) throw new Error("not read");
    const request = { jsonrpc: "2.0" as const, id: "hangar-3", method: "tools/call", params: { name: "echo", arguments: args, _meta: { progressToken: 5 } } };
    expect(jsonRpcLine(request)).toBe(`{"jsonrpc":"2.0","id":"hangar-3","method":"tools/call","params":{"name":"echo","arguments":${ODD},"_meta":{"progressToken":5}}}\n`);
  });

  it("serializes a copy of a kept value, a message with other keys, and any other message as JSON.stringify does", () => {
    const kept = (): Record<string, unknown> => keepVerbatim({ content: [] }, '{"content":[ ]}');
    const copy = { ...kept(), _meta: { added: true } };
    expect(jsonRpcLine({ result: copy, jsonrpc: "2.0", id: 1 })).toBe(`${JSON.stringify({ result: copy, jsonrpc: "2.0", id: 1 })}\n`);
    const extra = { result: kept(), jsonrpc: "2.0", id: 1, extra: 1 } as never;
    expect(jsonRpcLine(extra)).toBe(`${JSON.stringify(extra)}\n`);
    const extraParam = { jsonrpc: "2.0" as const, id: "h", method: "tools/call", params: { name: "t", arguments: kept(), task: {} } };
    expect(jsonRpcLine(extraParam)).toBe(`${JSON.stringify(extraParam)}\n`);
    const otherMethod = { jsonrpc: "2.0" as const, id: "h", method: "prompts/get", params: { name: "t", arguments: kept() } };
    expect(jsonRpcLine(otherMethod)).toBe(`${JSON.stringify(otherMethod)}\n`);
    const error = { jsonrpc: "2.0" as const, id: 1, error: { code: -1, message: "no" } };
    expect(jsonRpcLine(error)).toBe(`${JSON.stringify(error)}\n`);
  });

  it("keeps only the most recent texts: a value read long before its write is serialized", () => {
    const early = keepVerbatim({ early: 1 }, '{"early":1.0}');
    for (let index = 0; index < 64; index++) keepVerbatim({ index }, `{"index":${index}}`);
    expect(verbatimOf(early)).toBeUndefined();
    const recent = keepVerbatim({ recent: 1 }, '{"recent":1.0}');
    expect(verbatimOf(recent)).toBe('{"recent":1.0}');
    expect(verbatimOf(recent)).toBeUndefined();
  });
});
