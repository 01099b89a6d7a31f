import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** Where a result keeps its own JSON, as UTF-8 bytes (withJsonBytes). A symbol, so JSON.stringify never sees it. */
const JSON_BYTES = Symbol("mcp-hangar.jsonBytes");

interface WithBytes {
  [JSON_BYTES]?: Buffer;
}

/**
 * `result`, frozen, with its JSON serialized once, now, to UTF-8 bytes. A result answered many
 * times unchanged (a cached tools/list answer: ≈ 130 KB for 600 tools) is then written by the
 * transports as those bytes between the message's other members (splicedMessage): no
 * serializing, no UTF-8 encoding and no 130 KB string per answer. A transport that does not
 * serialize (in memory) passes the object on as it is. Frozen because it is shared: a change
 * would no longer match its bytes.
 */
export function withJsonBytes<T extends object>(result: T): Readonly<T> {
  Object.defineProperty(result, JSON_BYTES, { value: Buffer.from(JSON.stringify(result), "utf8") });
  return Object.freeze(result);
}

/** A message whose result has its bytes made already: written as `head`, `result`, `tail` (JSON text, bytes, JSON text). */
export interface SplicedMessage {
  head: string;
  result: Buffer;
  tail: string;
}

/**
 * The message as JSON.stringify writes it (its members in its own order, those JSON.stringify
 * leaves out left out) around its result's bytes; undefined when its result has none (the
 * transport serializes it as usual).
 */
export function splicedMessage(message: JSONRPCMessage): SplicedMessage | undefined {
  const result = "result" in message ? (message.result as WithBytes)[JSON_BYTES] : undefined;
  if (result === undefined) return undefined;
  const before: string[] = [];
  const after: string[] = [];
  let seen = false;
  for (const [key, value] of Object.entries(message)) {
    if (key === "result") {
      seen = true;
      continue;
    }
    const json = JSON.stringify(value) as string | undefined;
    if (json !== undefined) (seen ? after : before).push(`${JSON.stringify(key)}:${json}`);
  }
  return {
    head: `{${before.map((member) => `${member},`).join("")}"result":`,
    result,
    tail: `${after.map((member) => `,${member}`).join("")}}`,
  };
}

/** The message's JSON text: JSON.stringify(message), with a result's own bytes used when it has them. */
export function messageText(message: JSONRPCMessage): string {
  const spliced = splicedMessage(message);
  return spliced === undefined ? JSON.stringify(message) : spliced.head + spliced.result.toString("utf8") + spliced.tail;
}
