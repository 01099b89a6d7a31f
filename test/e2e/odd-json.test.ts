import { describe, expect, it } from "vitest";
import { fixtureCommand, useE2E } from "../helpers/cli.js";
import { useRawHangars, type RawHangar, type RawMessage } from "../helpers/raw-stdio.js";

/**
 * Unusual JSON on both legs of a tool call: the built hangar on real pipes, a client writing lines
 * by hand, and a provider written by hand (test/fixtures/raw-server.js) that shows the line it
 * received and answers with the exact text it is given. The hangar parses each line and writes
 * its own: what the client and the provider receive is the JSON value that was sent (numbers as
 * a double holds them — written anew, `1.0` arrives as `1`), duplicate keys resolved as JSON.parse
 * does (the last wins), ids and `isError` read at the message's and the result's top level only.
 */
const e2e = useE2E();
const startHangar = useRawHangars(e2e);

async function start(): Promise<RawHangar> {
  const hangar = startHangar({ providers: { raw: { command: fixtureCommand("raw-server.js", e2e.marker()), call_timeout_s: 2 } } });
  await hangar.initialize();
  // The provider starts, so its tools are known by their flat names.
  await hangar.request("warm", "tools/call", { name: "registry_invoke", arguments: { provider: "raw", tool: "echo", arguments: { text: "warm" } } });
  return hangar;
}

/** JSON a serializer would write otherwise: escapes, an `id`, `jsonrpc` and a key twice inside, a nested `result`. */
const ODD_JSON =
  '{"one":1.0,"exp":2E-3,"escaped":"\\u00e9\\ud83d\\ude00\\u2028","lone":"\\ud800",' +
  '"id":"hangar-1","nested":{"id":5,"jsonrpc":"2.0","twice":1,"twice":2},"list":[{"result":{}}]}';

/** A tools/call line in the SDK client's key order, or with the version and id first. */
function callLine(id: string | number, name: string, argumentsText: string, versionFirst = false): string {
  const params = `{"name":${JSON.stringify(name)},"arguments":${argumentsText}}`;
  return versionFirst
    ? `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":${params}}\n`
    : `{"method":"tools/call","params":${params},"jsonrpc":"2.0","id":${JSON.stringify(id)}}\n`;
}

const answerTo = (hangar: RawHangar, id: string | number): Promise<RawMessage> =>
  hangar.next((message) => message.id === id && message.method === undefined, `the answer to ${JSON.stringify(id)}`);

const textOf = (message: RawMessage): string => ((message.result as { content: { text: string }[] }).content[0]?.text ?? "");

describe("unusual JSON on both legs of a tool call", () => {
  it("hands the provider the value of the client's arguments, in both key orders, with the provider's own id and tool name", async () => {
    const hangar = await start();
    for (const [id, versionFirst] of [[1, false], ["two", true]] as const) {
      hangar.write(callLine(id, "raw__received", ODD_JSON, versionFirst));
      const request = JSON.parse(textOf(await answerTo(hangar, id))) as { id: unknown; params: unknown };
      expect(request.id).toMatch(/^hangar-\d+$/);
      expect(request.params).toEqual({ name: "received", arguments: JSON.parse(ODD_JSON) as unknown });
    }
  });

  it("answers the client with the value of the provider's result and the client's id, in both of the provider's key orders", async () => {
    const hangar = await start();
    const result = `{"content":[{"type":"text","text":"odd"}],"structuredContent":${ODD_JSON}}`;
    for (const [id, versionFirst] of [[3, false], ["four", true]] as const) {
      hangar.write(callLine(id, "raw__raw_result", JSON.stringify({ text: result, version_first: versionFirst })));
      expect(await answerTo(hangar, id)).toEqual({ jsonrpc: "2.0", id, result: JSON.parse(result) as unknown });
    }
  });

  it("passes large arguments (half the default max_argument_bytes) and a large result intact", async () => {
    const hangar = await start();
    const big = "x".repeat(512 * 1024);
    hangar.write(callLine(5, "raw__received", JSON.stringify({ big, n: 1.5e300 })));
    const received = JSON.parse(textOf(await answerTo(hangar, 5))) as { params: { arguments: unknown } };
    expect(received.params.arguments).toEqual({ big, n: 1.5e300 });
    const result = JSON.stringify({ content: [{ type: "text", text: big }] });
    hangar.write(callLine(6, "raw__raw_result", JSON.stringify({ text: result })));
    expect((await answerTo(hangar, 6)).result).toEqual({ content: [{ type: "text", text: big }] });
  });

  it("reads isError at the result's top level only, and a result the hangar adds to is written whole", async () => {
    const hangar = await start();
    // registry_invoke_ex retries a tool_error when asked: two attempts show the hangar read isError.
    const invoke = (id: number, result: string): void => {
      const args = { provider: "raw", tool: "raw_result", arguments: { text: result }, max_retries: 1, retry_on_error: ["tool_error"], force_retry: true };
      hangar.write(callLine(id, "registry_invoke_ex", JSON.stringify(args)));
    };
    const attempts = (message: RawMessage): unknown => ((message.result as { _meta: Record<string, { attempts: number }> })._meta["mcp-hangar/invoke"] ?? {}).attempts;
    invoke(7, '{"content":[{"type":"text","text":"failed"}],"isError":true}');
    const failed = await answerTo(hangar, 7);
    expect(attempts(failed)).toBe(2);
    expect(failed.result).toMatchObject({ content: [{ type: "text", text: "failed" }], isError: true });
    invoke(8, '{"content":[{"type":"text","text":"fine"}],"structuredContent":{"isError":true}}');
    const fine = await answerTo(hangar, 8);
    expect(attempts(fine)).toBe(1);
    expect(fine.result).toMatchObject({ content: [{ type: "text", text: "fine" }], structuredContent: { isError: true } });
  });

  it("reads answers of unusual shapes: the last of two results, the top-level id, a broken line dropped", async () => {
    const hangar = await start();
    const rawLine = (id: number, line: string): void => {
      hangar.write(callLine(id, "raw__raw_line", JSON.stringify({ line })));
    };
    rawLine(9, '{"result":{"content":[{"type":"text","text":"first"}]},"result":{"content":[{"type":"text","text":"last"}]},"jsonrpc":"2.0","id":$ID}');
    expect((await answerTo(hangar, 9)).result).toEqual({ content: [{ type: "text", text: "last" }] });
    rawLine(10, '{"result":{"content":[{"type":"text","text":"spaced"}]}, "jsonrpc": "2.0", "id": $ID}');
    expect((await answerTo(hangar, 10)).result).toEqual({ content: [{ type: "text", text: "spaced" }] });
    // Not JSON: the provider never answered, so the call times out (call_timeout_s 2) and the hangar serves on.
    rawLine(11, '{"result":{"content":[{"type":"text","text":"cut"}],"jsonrpc":"2.0","id":$ID}');
    const timedOut = await answerTo(hangar, 11);
    expect(timedOut.result).toMatchObject({ isError: true, _meta: { "mcp-hangar/failure": "timeout" } });
    hangar.write(callLine(12, "raw__echo", '{"text":"still serving"}'));
    expect(textOf(await answerTo(hangar, 12))).toBe("still serving");
  });

  it("skips a provider's lines of only whitespace without a word, as its empty lines, and still reports a garbage line", async () => {
    const hangar = await start();
    hangar.write(callLine(16, "raw__raw_line", JSON.stringify({ line: ' \t \r\n\t\n   \nnot json\n{"jsonrpc":"2.0","id":$ID,"result":{"content":[{"type":"text","text":"after blanks"}]}}' })));
    expect(textOf(await answerTo(hangar, 16))).toBe("after blanks");
    const warnings = hangar.stderr().split("\n").filter((line) => line.includes("provider wrote a non-MCP line"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("not json");
  });

  it("reads a provider's last answer written without its newline before it exits", async () => {
    const hangar = await start();
    hangar.write(callLine(13, "raw__last_words", '{"text":"goodbye"}'));
    const answer = await answerTo(hangar, 13);
    expect(answer.error, JSON.stringify(answer)).toBeUndefined();
    expect(answer.result).toEqual({ content: [{ type: "text", text: "goodbye" }] });
  });

  it("reads client lines of unusual shapes as JSON.parse does", async () => {
    const hangar = await start();
    // Arguments given twice: JSON's last one counts, as it did.
    hangar.write(`{"method":"tools/call","params":{"name":"raw__echo","arguments":{"text":"first"},"arguments":{"text":"last"}},"jsonrpc":"2.0","id":13}\n`);
    expect(textOf(await answerTo(hangar, 13))).toBe("last");
    // A line cut short is a Parse error, with no id to answer.
    hangar.write(`{"method":"tools/call","params":{"name":"raw__echo","arguments":{"text":"cut"},"jsonrpc":"2.0","id":14}\n`);
    const refused = await hangar.next((message) => message.error?.code === -32700, "the Parse error");
    expect(refused.id).toBeUndefined();
    // An id JSON writes otherwise (1.0 is the integer 1): answered with the id as JSON reads it.
    hangar.write(`{"method":"tools/call","params":{"name":"raw__echo","arguments":{"text":"one"}},"jsonrpc":"2.0","id":15.0}\n`);
    expect(textOf(await answerTo(hangar, 15))).toBe("one");
  });
});
