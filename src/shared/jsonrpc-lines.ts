import type { JSONRPCMessage, JSONRPCRequest, JSONRPCResultResponse } from "@modelcontextprotocol/sdk/types.js";
import { keepVerbatim, plainIdValue, plainStringEnd, verbatimOf } from "./verbatim-json.js";

/**
 * The two lines of every tool call that carry someone else's JSON — the client's tools/call with
 * its arguments, the provider's answer with its result — read and written with that JSON kept as
 * text (verbatim-json.ts): the text is parsed once, for what the hangar reads in it (admission,
 * audit, isError), and the line forwarded is the kept text spliced into the hangar's own envelope,
 * not a serialization of the parsed value. Before the provider's write and before the client's,
 * that saves parsing the envelope and serializing the payload again.
 *
 * Only a line in the compact form JSON-RPC libraries write is read so (the SDK's, Python's), as
 * envelope text around one JSON value: `readToolCallLine` and `readResultLine` rebuild the line
 * from fixed pieces (each checked: an id, a tool name without escapes) and the one value, which
 * JSON.parse must take whole — so the line is exactly that message, one key each, and the value is
 * what JSON.parse of the whole line would have given. Anything else (spaces, another key order,
 * `_meta`, escapes, a duplicated key) returns undefined and takes the general path as before.
 *
 * The JSON value received is the value sent; the bytes may differ from what serializing the parsed
 * value would write only where JSON is equal: the provider's (or client's) own number notation
 * (`1.0`, `1e2`, integers past 2^53 and `1e400` are passed as written, where a serialization
 * would write `1`, `100`, a rounded integer and `null`), string escapes, whitespace, and a key
 * written twice inside the value (passed as written: a JSON reader takes the last, as the hangar
 * does).
 */

const RESULT_FIRST = '{"result":';
const RESULT_FIRST_TAIL = ',"jsonrpc":"2.0","id":';
const VERSION_FIRST = '{"jsonrpc":"2.0","id":';
const RESULT_AFTER_ID = ',"result":';
const CALL_FIRST = '{"method":"tools/call","params":{"name":';
const CALL_FIRST_TAIL = '},"jsonrpc":"2.0","id":';
const CALL_AFTER_ID = ',"method":"tools/call","params":{"name":';
const ARGUMENTS = ',"arguments":';
const CLOSE = 0x7d; // }

/**
 * A provider's plain result answer — `{"result":R,"jsonrpc":"2.0","id":I}` or
 * `{"jsonrpc":"2.0","id":I,"result":R}`, R an object without `_meta` (what isPlainResultResponse
 * passes) — with R's text kept; undefined for any other line.
 */
export function readResultLine(line: string): JSONRPCResultResponse | undefined {
  if (line.charCodeAt(line.length - 1) !== CLOSE) return undefined;
  let idText: string;
  let resultText: string;
  if (line.startsWith(RESULT_FIRST)) {
    const tail = line.lastIndexOf(RESULT_FIRST_TAIL);
    if (tail < RESULT_FIRST.length) return undefined;
    idText = line.slice(tail + RESULT_FIRST_TAIL.length, -1);
    resultText = line.slice(RESULT_FIRST.length, tail);
  } else if (line.startsWith(VERSION_FIRST)) {
    const head = line.indexOf(RESULT_AFTER_ID, VERSION_FIRST.length);
    if (head === -1) return undefined;
    idText = line.slice(VERSION_FIRST.length, head);
    resultText = line.slice(head + RESULT_AFTER_ID.length, -1);
  } else {
    return undefined;
  }
  const id = plainIdValue(idText);
  if (id === undefined) return undefined;
  const result = parseObject(resultText);
  if (result === undefined || (result as { _meta?: unknown })._meta !== undefined) return undefined;
  return { jsonrpc: "2.0", id, result: keepVerbatim(result, resultText) };
}

/**
 * A client's plain tools/call — `{"method":"tools/call","params":{"name":N,"arguments":A},
 * "jsonrpc":"2.0","id":I}` or `{"jsonrpc":"2.0","id":I,"method":"tools/call","params":{"name":N,
 * "arguments":A}}`, N a string without escapes, A an object without an own `__proto__` (what
 * isPlainToolCallParams passes) — with A's text kept; undefined for any other line.
 */
export function readToolCallLine(line: string): JSONRPCRequest | undefined {
  let idText: string;
  let nameStart: number;
  let end: number;
  if (line.startsWith(CALL_FIRST)) {
    if (line.charCodeAt(line.length - 1) !== CLOSE) return undefined;
    end = line.lastIndexOf(CALL_FIRST_TAIL);
    if (end < CALL_FIRST.length) return undefined;
    idText = line.slice(end + CALL_FIRST_TAIL.length, -1);
    nameStart = CALL_FIRST.length;
  } else if (line.startsWith(VERSION_FIRST)) {
    if (!line.endsWith("}}")) return undefined;
    const head = line.indexOf(CALL_AFTER_ID, VERSION_FIRST.length);
    if (head === -1) return undefined;
    idText = line.slice(VERSION_FIRST.length, head);
    nameStart = head + CALL_AFTER_ID.length;
    end = line.length - 2;
  } else {
    return undefined;
  }
  const nameEnd = plainStringEnd(line, nameStart);
  if (nameEnd === -1 || !line.startsWith(ARGUMENTS, nameEnd)) return undefined;
  const id = plainIdValue(idText);
  if (id === undefined) return undefined;
  const argumentsText = line.slice(nameEnd + ARGUMENTS.length, end);
  const args = parseObject(argumentsText);
  if (args === undefined || Object.hasOwn(args, "__proto__")) return undefined;
  const name = line.slice(nameStart + 1, nameEnd - 1);
  return { method: "tools/call", params: { name, arguments: keepVerbatim(args, argumentsText) }, jsonrpc: "2.0", id };
}

/**
 * A message as one line (with its newline): JSON.stringify's, except that a result answer whose
 * result, or a tools/call whose arguments, still have their text (see readResultLine,
 * readToolCallLine) get that text spliced in. Keys are written in the order the hangar builds
 * these messages (ToolCallRouter's answers, DirectRequests' requests), so only the spliced value's
 * bytes can differ from JSON.stringify's.
 */
export function jsonRpcLine(message: JSONRPCMessage): string {
  return splicedLine(message) ?? JSON.stringify(message) + "\n";
}

function splicedLine(message: JSONRPCMessage): string | undefined {
  if ("result" in message) {
    const text = verbatimOf(message.result);
    if (text === undefined || !isEnvelope(message, 3)) return undefined;
    return `${RESULT_FIRST}${text}${RESULT_FIRST_TAIL}${JSON.stringify(message.id)}}\n`;
  }
  if (!("method" in message) || message.method !== "tools/call") return undefined;
  const params = message.params as { name?: unknown; arguments?: unknown; _meta?: unknown } | undefined;
  const text = verbatimOf(params?.arguments);
  if (text === undefined || params === undefined || typeof params.name !== "string" || !isEnvelope(message, 4)) return undefined;
  const meta = params._meta;
  if (!hasOnlyKeys(params, meta === undefined && !Object.hasOwn(params, "_meta") ? 2 : 3)) return undefined;
  const metaText = meta === undefined ? "" : `,"_meta":${JSON.stringify(meta)}`;
  return `${VERSION_FIRST}${JSON.stringify((message as JSONRPCRequest).id)},"method":"tools/call","params":{"name":${JSON.stringify(params.name)}${ARGUMENTS}${text}${metaText}}}\n`;
}

/** Version 2.0, an id JSON can write, and `count` own keys in all (see hasOnlyKeys). */
function isEnvelope(message: JSONRPCMessage, count: number): boolean {
  const { jsonrpc, id } = message as { jsonrpc?: unknown; id?: unknown };
  return jsonrpc === "2.0" && (typeof id === "string" || typeof id === "number") && Object.hasOwn(message, "id") && hasOnlyKeys(message, count);
}

/**
 * The message's own keys are the `count` this module writes for it (results: result, jsonrpc, id;
 * requests: jsonrpc, id, method, params; params: name, arguments and maybe _meta) — checked by
 * count after the caller has read the ones it needs, since any other key would be lost.
 */
function hasOnlyKeys(value: object, count: number): boolean {
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key)) keys++;
  return keys === count;
}

/** JSON.parse of `text` when it is one JSON object (not an array), else undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
