import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../helpers/cli.js";

/**
 * The fenced code blocks and inline code spans of the user docs (README.md and docs/*.md), so
 * tests can hold the docs' examples to the real config loader and the real command line.
 */

/** A fenced code block: its language, the marker words after it, and its text. */
export interface DocBlock {
  /** Repo-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the block's first content line (the line after the opening fence). */
  line: number;
  /** The first word of the info string (`yaml`, `json`, `sh`, …; "" for a bare fence). */
  lang: string;
  /** The rest of the info string: marker words such as `section`, `invalid`, `excerpt`. */
  markers: string[];
  /** The content, with the fence's own indentation (a block inside a list item) taken off. */
  text: string;
}

/** An inline `code` span. */
export interface DocSpan {
  file: string;
  line: number;
  text: string;
}

/** README.md and every docs/*.md, repo-relative. */
export function docFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

const OPENING_FENCE = /^(\s*)```(.*)$/;

export function fencedBlocks(file: string): DocBlock[] {
  const lines = readFileSync(join(REPO_ROOT, file), "utf8").split("\n");
  const blocks: DocBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const opening = OPENING_FENCE.exec(lines[index] ?? "");
    if (opening === null) continue;
    const indent = opening[1]?.length ?? 0;
    const [lang = "", ...markers] = (opening[2] ?? "").trim().split(/\s+/).filter((word) => word !== "");
    const body: string[] = [];
    const first = index + 2;
    for (index += 1; index < lines.length && !/^\s*```\s*$/.test(lines[index] ?? ""); index += 1) {
      body.push((lines[index] ?? "").slice(indent));
    }
    blocks.push({ file, line: first, lang, markers, text: body.join("\n") });
  }
  return blocks;
}

/** Inline code spans outside fenced blocks (single backticks, on one line). */
export function inlineSpans(file: string): DocSpan[] {
  const lines = readFileSync(join(REPO_ROOT, file), "utf8").split("\n");
  const spans: DocSpan[] = [];
  let inFence = false;
  lines.forEach((text, index) => {
    if (OPENING_FENCE.test(text)) {
      inFence = !inFence;
      return;
    }
    if (inFence) return;
    for (const match of text.matchAll(/`([^`]+)`/g)) spans.push({ file, line: index + 1, text: match[1] ?? "" });
  });
  return spans;
}

/** `file:line` of a block or span, for test names and messages. */
export function placeOf(item: { file: string; line: number }): string {
  return `${item.file}:${item.line}`;
}
