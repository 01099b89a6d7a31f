import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCommand } from "../../src/cli/args.js";
import { assertBuilt, REPO_ROOT, runCli } from "../helpers/cli.js";
import { docFiles, fencedBlocks, inlineSpans, placeOf } from "./doc-blocks.js";

/**
 * Every `mcp-hangar …` command line the docs show — in shell blocks, in inline code, and in the
 * client configs (JSON `args` after `dist/main.js`) — must be one the CLI accepts, and every flag
 * they use must be in the real process's `--help`. A line that is a synopsis (`[--port N]`,
 * `a | b`, `…`) is checked for its flags only; a concrete line goes through the CLI's own parser
 * (src/cli/args.ts), which refuses unknown commands, unknown flags and bad values.
 */

interface DocCommand {
  file: string;
  line: number;
  /** The arguments after `mcp-hangar` (or `node …/dist/main.js`). */
  args: string[];
  synopsis: boolean;
}

/**
 * Shell words of one line: quotes removed, a `# comment` and anything after `|`, `;`, `&&` or `>`
 * dropped — except a synopsis's `--version | --help`, where `|` stands between two flags and stays.
 */
function shellWords(line: string): string[] {
  const tokens = [...line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((match) => ({ bare: match[3], word: match[1] ?? match[2] ?? match[3] ?? "" }));
  const words: string[] = [];
  for (const [index, { bare, word }] of tokens.entries()) {
    const alternative = bare === "|" && tokens[index + 1]?.word.startsWith("-") === true;
    if (!alternative && bare !== undefined && (bare.startsWith("#") || ["|", ";", "&&", "||", ">", "2>", "<"].includes(bare))) break;
    words.push(word);
  }
  return words;
}

/** The arguments of a command line that runs the hangar, or undefined for any other line. */
function hangarArguments(words: string[]): string[] | undefined {
  let rest = words[0] === "$" ? words.slice(1) : words;
  while (rest[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(rest[0])) rest = rest.slice(1); // VAR=value prefixes
  if (rest[0] === "mcp-hangar") return rest.slice(1);
  if (rest[0] === "node" && rest[1]?.endsWith("dist/main.js") === true) return rest.slice(2);
  return undefined;
}

/** The flags among a command line's words, synopsis brackets included (`[--port` → `--port`). */
function flagsOf(args: string[]): string[] {
  return args.flatMap((arg) => [...arg.matchAll(/(?:^|\[)(--?[a-z][a-z-]*)/g)].map((match) => match[1] ?? ""));
}

function isSynopsis(args: string[]): boolean {
  return args.some((arg) => /[[\]|…]|\.\.\./.test(arg));
}

function command(file: string, line: number, args: string[]): DocCommand {
  return { file, line, args, synopsis: isSynopsis(args) };
}

/** Lines of shell-like blocks, continuation lines (`\`) joined, each with its own line number. */
function shellLines(text: string, firstLine: number): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  let pending: { line: number; text: string } | undefined;
  text.split("\n").forEach((raw, index) => {
    const current = pending ?? { line: firstLine + index, text: "" };
    current.text += raw.replace(/\\$/, " ");
    if (raw.endsWith("\\")) {
      pending = current;
    } else {
      pending = undefined;
      lines.push(current);
    }
  });
  return lines;
}

/** `args` arrays of client configs that run the hangar: `"command": "mcp-hangar"` or `node …/dist/main.js`. */
function clientConfigArguments(value: unknown): string[][] {
  if (typeof value !== "object" || value === null) return [];
  const found = Object.values(value).flatMap(clientConfigArguments);
  const { command: program, args } = value as { command?: unknown; args?: unknown };
  if (!Array.isArray(args) || !args.every((arg): arg is string => typeof arg === "string")) return found;
  if (program === "mcp-hangar") return [args, ...found];
  const main = args.findIndex((arg) => arg.endsWith("dist/main.js"));
  return program === "node" && main >= 0 ? [args.slice(main + 1), ...found] : found;
}

function docCommands(): DocCommand[] {
  return docFiles().flatMap((file) => {
    const fromBlocks = fencedBlocks(file).flatMap((block): DocCommand[] => {
      if (["sh", "bash", "console", ""].includes(block.lang)) {
        return shellLines(block.text, block.line).flatMap(({ line, text }) => {
          const args = hangarArguments(shellWords(text));
          return args === undefined ? [] : [command(file, line, args)];
        });
      }
      if (block.lang === "json" && block.markers.length === 0) {
        return clientConfigArguments(JSON.parse(block.text)).map((args) => command(file, block.line, args));
      }
      return [];
    });
    const fromSpans = inlineSpans(file).flatMap((span): DocCommand[] => {
      const args = hangarArguments(shellWords(span.text));
      return args === undefined || !span.text.startsWith("mcp-hangar ") ? [] : [command(file, span.line, args)];
    });
    return [...fromBlocks, ...fromSpans];
  });
}

const commands = docCommands();

describe("command lines in the docs", () => {
  let help = "";
  beforeAll(async () => {
    assertBuilt();
    const result = await runCli(["--help"]);
    expect(result.code, result.stderr).toBe(0);
    help = result.stdout;
  });

  it("finds the docs' command lines, concrete ones and synopses", () => {
    expect(commands.filter((found) => !found.synopsis).length).toBeGreaterThan(10);
    expect(commands.filter((found) => found.synopsis).length).toBeGreaterThan(3);
  });

  it("uses only flags that `mcp-hangar --help` lists", () => {
    const unlisted = commands.flatMap((found) =>
      flagsOf(found.args)
        .filter((flag) => !new RegExp(`(^|[\\s,])${flag}(?=[\\s=,]|$)`, "m").test(help))
        .map((flag) => `${placeOf(found)}: ${flag}`),
    );
    expect(unlisted).toEqual([]);
  });

  it("shows every long flag `mcp-hangar --help` lists in some command line of the docs", () => {
    const shown = new Set(commands.flatMap((found) => flagsOf(found.args)));
    const listed = new Set([...help.matchAll(/(?:^|[\s,[])(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? ""));
    expect([...listed].filter((flag) => !shown.has(flag))).toEqual([]);
  });

  for (const found of commands.filter((each) => !each.synopsis)) {
    it(`${placeOf(found)}: mcp-hangar ${found.args.join(" ")} is accepted`, () => {
      expect(() => parseCommand(found.args)).not.toThrow();
    });
  }

  it("names only npm scripts package.json has", () => {
    const scripts = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);
    const missing = docFiles().flatMap((file) =>
      [...readFileSync(join(REPO_ROOT, file), "utf8").matchAll(/npm (?:run (\S+)|(start|test)\b)/g)]
        .map((match) => (match[1] ?? match[2] ?? "").replace(/[`),.;]+$/, ""))
        .filter((script) => !scripts.includes(script))
        .map((script) => `${file}: npm run ${script}`),
    );
    expect(missing).toEqual([]);
  });
});
