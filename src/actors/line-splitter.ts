import type { Readable } from "node:stream";

/** Longer lines are cut: a provider printing megabytes without a newline must not grow memory. */
export const MAX_LINE_LENGTH = 8_192;
const TRUNCATED = " …[truncated]";
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Splits a byte stream into lines, with a bound on one line's size. Each chunk is scanned once
 * for newlines; the pieces of a line that spans chunks are kept as they came and joined once, so
 * a large line costs its size, not its size times its chunks. Lines are delivered as bytes
 * without the line break (and without a CR before it), so a UTF-8 character split between
 * chunks is whole again in its line.
 *
 * A line longer than `maxBytes` is never held whole: as soon as it passes the bound,
 * `onOverlong` gets its first `maxBytes` bytes, and the rest of it, up to the next newline, is
 * dropped. Memory stays bounded by `maxBytes` whatever the writer sends.
 */
export class LineSplitter {
  /** The pieces of the line read so far (its newline not yet seen), and their total size. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** After an over-long line was reported, the rest of it up to the next newline is dropped. */
  private skipping = false;

  /**
   * `onSeveral`, when given, is told before the first line of a chunk that ends two lines or more
   * is delivered (the stdio legs group their writes by it, see read-burst.ts).
   */
  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOverlong: (head: Buffer) => void,
    private readonly onSeveral?: () => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (this.onSeveral !== undefined && newline !== -1 && chunk.indexOf(NEWLINE, newline + 1) !== -1) this.onSeveral();
    while (start < chunk.length) {
      if (start > 0) newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.keep(start === 0 ? chunk : chunk.subarray(start));
        return;
      }
      if (this.skipping) {
        this.skipping = false;
      } else if (this.pendingBytes + newline - start > this.maxBytes) {
        this.keep(chunk.subarray(start, newline));
        this.skipping = false;
      } else if (this.pendingBytes === 0) {
        this.deliver(chunk, start, newline);
      } else {
        this.pending.push(chunk.subarray(start, newline));
        const line = Buffer.concat(this.pending, this.pendingBytes + newline - start);
        this.pending = [];
        this.pendingBytes = 0;
        this.deliver(line, 0, line.length);
      }
      start = newline + 1;
    }
  }

  /**
   * The stream ended: a last line without a final newline is delivered, as line readers do. With
   * "drop", a last line of only blanks (spaces, tabs, a CR) is not: a JSON-RPC reader would
   * answer it as a parse error, though the writer only left trailing whitespace. The rest of an
   * over-long line was reported already and is not delivered.
   */
  end(blankLastLine: "deliver" | "drop" = "deliver"): void {
    if (this.pendingBytes > 0) {
      const line = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      if (blankLastLine === "deliver" || !isBlank(line)) this.deliver(line, 0, line.length);
    }
    this.skipping = false;
  }

  /** Drops whatever part of a line is held. */
  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
  }

  /** Holds a piece of an unfinished line, or reports the line once it has grown past the bound. */
  private keep(piece: Buffer): void {
    if (this.skipping) return;
    if (this.pendingBytes + piece.length <= this.maxBytes) {
      this.pending.push(piece);
      this.pendingBytes += piece.length;
      return;
    }
    const head = Buffer.concat([...this.pending, piece], this.pendingBytes + piece.length).subarray(0, this.maxBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = true;
    this.onOverlong(head);
  }

  private deliver(bytes: Buffer, start: number, end: number): void {
    const stop = end > start && bytes[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
    this.onLine(start === 0 && stop === bytes.length ? bytes : bytes.subarray(start, stop));
  }
}

/**
 * Only JSON's whitespace other than the newline: space, tab, CR. A JSON-RPC reader skips such a
 * line (it carries no message) rather than answer it as a parse error; checked only for a line
 * JSON.parse refused, so a message line pays nothing for it.
 */
export function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}

/**
 * Calls `onLine` for every line of a text stream (a provider's stderr), without the line break.
 * A last line without a final newline is delivered when the stream ends. UTF-8 sequences split
 * across chunks are reassembled. A line longer than `maxLength` bytes is delivered cut, marked
 * " …[truncated]", and the rest of it is dropped.
 */
export function forEachLine(stream: Readable, onLine: (line: string) => void, maxLength: number = MAX_LINE_LENGTH): void {
  const splitter = new LineSplitter(
    maxLength,
    (line) => {
      onLine(line.toString("utf8"));
    },
    (head) => {
      onLine(head.toString("utf8") + TRUNCATED);
    },
  );
  stream.on("data", (chunk: Buffer | string) => {
    splitter.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
  });
  stream.on("end", () => {
    splitter.end();
  });
}
