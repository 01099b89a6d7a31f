import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { forEachLine } from "../../src/actors/line-splitter.js";

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
