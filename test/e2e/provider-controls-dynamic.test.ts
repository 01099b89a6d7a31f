import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { callTool, eventually, fixtureCommand, invoke, textOf, useE2E } from "../helpers/cli.js";
import { refusal } from "../helpers/rpc-refusal.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A provider's own controls — tool filters, argument limits, rate limits — come from its spec as
 * the hangar runs it now: a provider found by discovery and a provider whose spec a reload changed
 * are held to theirs. The built hangar, real fixture providers over stdio; one call per 100 s after
 * the burst, so a refusal holds however slow the machine.
 */
const e2e = useE2E();
const ECHO_TOOLS = [{ name: "echo" }, { name: "add" }];
const SLOW = { rps: 0.01, burst: 1 };

function echo(client: Client, flatName: string, text: string): ReturnType<typeof callTool> {
  return callTool(client, flatName, { text });
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name);
}

describe("a provider's own controls follow its current spec", () => {
  it("a discovered provider's deny_tools, argument limits and rate_limit apply", async () => {
    const marker = e2e.marker();
    const folder = join(e2e.dir(), "controls.d");
    mkdirSync(folder, { recursive: true });
    const hangar = await e2e.start({ discovery: { sources: [{ type: "filesystem", name: "local", path: folder }] } });
    const { client } = hangar;
    const files = { command: fixtureCommand("echo-server.js", marker), tools: ECHO_TOOLS, deny_tools: ["add"], max_argument_bytes: 64, rate_limit: { ...SLOW, burst: 2 } };
    writeFileSync(join(folder, "files.yaml"), JSON.stringify({ providers: { files } }));
    await eventually(async () => (await toolNames(client)).includes("files__echo"), 5_000, "files__echo to be listed");

    expect(await toolNames(client)).not.toContain("files__add");
    expect((await refusal(callTool(client, "files__add", { a: 1, b: 2 }))).message).toContain("unknown tool 'files__add'");
    expect((await refusal(invoke(client, "files", "add", { a: 1, b: 2 }))).message).toContain("tool 'add' of provider 'files' is not available: it matches deny_tools");
    // (A call refused for its arguments has spent its token: the limit comes first.)
    const tooBig = await echo(client, "files__echo", "x".repeat(200));
    expect(tooBig.isError).toBe(true);
    expect(textOf(tooBig)).toContain("invalid arguments for tool 'echo' of provider 'files'");
    expect(textOf(await echo(client, "files__echo", "one"))).toBe("one");
    const limited = await refusal(echo(client, "files__echo", "two"));
    expect(limited.code).toBe(RATE_LIMITED_CODE);
    expect(limited.message).toMatch(/rate limit exceeded for provider 'files' \(rate_limit\): 0\.01 calls\/s, burst 2; retry after \d+(\.\d+)? s/);
  });

  it("a reload that gives a provider a rate_limit and deny_tools applies them, and one that takes them away lifts them", async () => {
    const marker = e2e.marker();
    const config = (controls: Record<string, unknown>) => ({
      providers: { fixed: { command: fixtureCommand("echo-server.js", marker), tools: ECHO_TOOLS, ...controls } },
    });
    const path = e2e.writeConfig(config({}));
    const hangar = await e2e.startWith(path);
    const { client } = hangar;
    for (const text of ["a", "b", "c"]) expect(textOf(await echo(client, "fixed__echo", text))).toBe(text);

    writeFileSync(path, JSON.stringify(config({ rate_limit: SLOW, deny_tools: ["add"] })));
    process.kill(hangar.pid, "SIGHUP");
    await hangar.waitForStderr("config reloaded (SIGHUP): 0 added, 1 changed, 0 removed, 0 unchanged", 5_000);
    expect(await toolNames(client)).not.toContain("fixed__add");
    expect((await refusal(invoke(client, "fixed", "add", { a: 1, b: 2 }))).message).toContain("tool 'add' of provider 'fixed' is not available: it matches deny_tools");
    expect(textOf(await echo(client, "fixed__echo", "d"))).toBe("d");
    expect((await refusal(echo(client, "fixed__echo", "e"))).code).toBe(RATE_LIMITED_CODE);

    writeFileSync(path, JSON.stringify(config({})));
    process.kill(hangar.pid, "SIGHUP");
    const reloaded = "config reloaded (SIGHUP): 0 added, 1 changed, 0 removed, 0 unchanged";
    await waitFor(() => hangar.stderr().split(reloaded).length === 3, 5_000, "the second reload");
    for (const text of ["f", "g"]) expect(textOf(await echo(client, "fixed__echo", text))).toBe(text);
  });
});
