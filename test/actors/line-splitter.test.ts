import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { forEachLine, LineSplitter } from "../../src/actors/line-splitter.js";

function lines(chunks: (string | Buffer)[], maxLength?: number): Promise<string[]> {
  const stream = new PassThrough();
  const out: string[] = [];
  forEachLine(stream, (line) => out.push(line), maxLength);
  return new Promise((resolve) => {
    stream.on("end", () => {
      resolve(out);
    });
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

describe("forEachLine", () => {
  it("splits on newlines across chunks, drops CR, and delivers a last unterminated line", async () => {
    expect(await lines(["one\r\ntw", "o\n\nthr", "ee"])).toEqual(["one", "two", "", "three"]);
  });

  it("reassembles UTF-8 characters split between chunks", async () => {
    const bytes = Buffer.from("héllo wörld\n", "utf8");
    expect(await lines([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(["héllo wörld"]);
  });

  it("cuts over-long lines and skips the rest of them", async () => {
    const out = await lines(["x".repeat(30), "y".repeat(30), "\nnext\n"], 16);
    expect(out).toEqual([`${"x".repeat(16)} …[truncated]`, "next"]);
  });
});

describe("LineSplitter", () => {
  function split(chunks: string[], maxBytes: number, blankLastLine?: "deliver" | "drop"): string[] {
    const out: string[] = [];
    const splitter = new LineSplitter(
      maxBytes,
      (line) => out.push(line.toString("utf8")),
      (head) => out.push(`overlong:${head.toString("utf8")}`),
    );
    for (const chunk of chunks) splitter.push(Buffer.from(chunk, "utf8"));
    splitter.end(blankLastLine);
    return out;
  }

  it("holds a line's pieces until its newline and bounds it in bytes", () => {
    expect(split(["ab", "cd", "e\nf\r\n", "g"], 8)).toEqual(["abcde", "f", "g"]);
    // Exactly the limit passes; one byte more is over-long, whether it came whole or in pieces.
    expect(split(["12345678\n", "123456789\n", "1234", "56789", "\nok\n"], 8)).toEqual(["12345678", "overlong:12345678", "overlong:12345678", "ok"]);
    // Multi-byte characters count as bytes.
    expect(split(["ééééé\n"], 8)).toEqual(["overlong:éééé"]);
  });

  it("reports an over-long line once, before its end arrives, and drops its rest", () => {
    const out: string[] = [];
    const splitter = new LineSplitter(
      4,
      (line) => out.push(line.toString()),
      (head) => out.push(`overlong:${head.toString()}`),
    );
    splitter.push(Buffer.from("0123456"));
    expect(out).toEqual(["overlong:0123"]);
    splitter.push(Buffer.from("789"));
    splitter.push(Buffer.from("rest\nnext\n"));
    expect(out).toEqual(["overlong:0123", "next"]);
  });

  it("at the end delivers a last line without its newline; with \"drop\" not a blank one; never the rest of an over-long one", () => {
    const ended = (chunks: string[], blankLastLine?: "deliver" | "drop", maxBytes = 8): string[] => split(chunks, maxBytes, blankLastLine);
    expect(ended(["a\n", "b", "c"], "drop")).toEqual(["a", "bc"]);
    expect(ended(["a\n", " x \r"], "drop")).toEqual(["a", " x "]);
    expect(ended(["a\n", " \t", " \r"], "drop")).toEqual(["a"]);
    expect(ended(["a\n", " \t \r"])).toEqual(["a", " \t "]);
    expect(ended(["a\n"], "drop")).toEqual(["a"]);
    // Past the bound before the end: reported once when it passed, nothing more at the end.
    expect(ended(["a\n", "0123", "45678", "9"], "drop")).toEqual(["a", "overlong:01234567"]);
    expect(ended(["a\n", "01234567"], "drop")).toEqual(["a", "01234567"]);
  });

  it("tells onSeveral before delivering the first line of a chunk that ends two lines or more, and only then", () => {
    const events: string[] = [];
    const splitter = new LineSplitter(
      64,
      (line) => events.push(line.toString()),
      () => events.push("overlong"),
      () => events.push("several"),
    );
    splitter.push(Buffer.from("a\n"));
    splitter.push(Buffer.from("b\nc")); // one line ends here; "c" is the start of the next
    splitter.push(Buffer.from("d\ne\nf\n"));
    splitter.push(Buffer.from("g"));
    expect(events).toEqual(["a", "b", "several", "cd", "e", "f"]);
  });
});
