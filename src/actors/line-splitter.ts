import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/** Longer lines are cut: a provider printing megabytes without a newline must not grow memory. */
export const MAX_LINE_LENGTH = 8_192;
const TRUNCATED = " …[truncated]";

/**
 * Calls `onLine` for every line of a text stream (a provider's stderr), without the line break.
 * A last line without a final newline is delivered when the stream ends. UTF-8 sequences split
 * across chunks are reassembled.
 */
export function forEachLine(stream: Readable, onLine: (line: string) => void, maxLength: number = MAX_LINE_LENGTH): void {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  // After an over-long line was cut, the rest of it up to the next newline is dropped.
  let skipping = false;

  const deliver = (line: string): void => {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    onLine(text.length > maxLength ? text.slice(0, maxLength) + TRUNCATED : text);
  };

  stream.on("data", (chunk: Buffer) => {
    const text = partial + decoder.write(chunk);
    let start = 0;
    for (let newline = text.indexOf("\n"); newline !== -1; newline = text.indexOf("\n", start)) {
      if (skipping) skipping = false;
      else deliver(text.slice(start, newline));
      start = newline + 1;
    }
    partial = text.slice(start);
    if (partial.length > maxLength) {
      if (!skipping) deliver(partial);
      skipping = true;
      partial = "";
    }
  });
  stream.on("end", () => {
    const rest = partial + decoder.end();
    if (rest.length > 0 && !skipping) deliver(rest);
    partial = "";
  });
}
