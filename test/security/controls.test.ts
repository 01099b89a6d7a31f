import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ErrorCode, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { callTool, callToolRaw, eventually, fixtureCommand, invoke, jsonOf, textOf } from "../helpers/cli.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { refusal } from "../helpers/rpc-refusal.js";
import { waitFor } from "../helpers/wait.js";
import { useInProcessHangars } from "./in-process-hangar.js";

const startHangar = useInProcessHangars();

const ADD = { name: "add", inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] } };
const CRASH = { name: "crash", inputSchema: { type: "object" } };

async function listed(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name);
}

/**
 * Waits until the aggregated list names every one of `names`: a provider with predefined tools
 * takes its first call before its own tools/list is answered, and the live tools follow.
 */
async function learned(client: Client, ...names: string[]): Promise<void> {
  await eventually(async () => {
    const known = await listed(client);
    return names.every((name) => known.includes(name));
  }, 5_000, `${names.join(", ")} listed`);
}

function marker(): string {
  return `security-${randomUUID()}`;
}

function meta(result: CallToolResult): Record<string, unknown> {
  return result._meta ?? {};
}

describe("tool filtering (allow_tools / deny_tools)", () => {
  it("hides denied tools from every list and refuses them by flat name and through registry_invoke — predefined, live, and after tools/list_changed", async () => {
    const tag = marker();
    const hangar = await startHangar({
      providers: {
        echo: {
          command: fixtureCommand("echo-server.js", tag),
          env: { FIXTURE_TOOLS_GROW: "1" },
          tools: [ADD, CRASH],
          deny_tools: ["crash", "close_*", "late"],
        },
        narrow: { command: fixtureCommand("echo-server.js", tag), tools: [ADD, CRASH], allow_tools: ["ad?", "echo"] },
      },
    });
    const client = await hangar.connect();

    // Predefined: crash is denied before the provider ever ran.
    expect(await listed(client)).toEqual(expect.arrayContaining(["echo__add", "narrow__add"]));
    expect((await listed(client)).filter((name) => name.includes("crash"))).toEqual([]);
    expect((await refusal(callTool(client, "echo__crash"))).code).toBe(ErrorCode.InvalidParams);
    const viaRegistry = await refusal(invoke(client, "echo", "crash"));
    expect(viaRegistry.message).toContain("tool 'crash' of provider 'echo' is not available: it matches deny_tools");
    expect((await refusal(invoke(client, "narrow", "pid"))).message).toContain("it is not in allow_tools");
    expect(findProcesses(tag)).toEqual([]);

    // Live: the started providers list more tools, filtered the same way.
    expect(textOf(await callTool(client, "echo__add", { a: 2, b: 3 }))).toBe("5");
    expect(textOf(await callTool(client, "narrow__add", { a: 1, b: 1 }))).toBe("2");
    await learned(client, "echo__echo", "narrow__echo");
    expect(textOf(await callTool(client, "narrow__echo", { text: "hi" }))).toBe("hi");
    const live = await listed(client);
    expect(live).toEqual(expect.arrayContaining(["echo__echo", "echo__pid", "echo__env", "narrow__add", "narrow__echo"]));
    expect(live.filter((name) => /crash|close_stdout|narrow__(pid|env|fail)/.test(name))).toEqual([]);
    expect((await refusal(callTool(client, "echo__close_stdout"))).code).toBe(ErrorCode.InvalidParams);
    expect((await refusal(invoke(client, "echo", "close_stdout"))).message).toContain("deny_tools");
    const registryTools = jsonOf(await callTool(client, "registry_tools", {})).tools as { flat_name: string }[];
    expect(registryTools.map((tool) => tool.flat_name).filter((name) => /crash|close_stdout/.test(name))).toEqual([]);
    const details = jsonOf(await callTool(client, "registry_details", { provider: "echo" })).tools as { name: string }[];
    expect(details.map((tool) => tool.name)).not.toContain("crash");
    const list = jsonOf(await callTool(client, "registry_list", {})).providers as { id: string; tools: string[] }[];
    expect(list.find((provider) => provider.id === "echo")?.tools).not.toContain("crash");

    // tools/list_changed: `late` appears in the provider's own list, never in the hangar's.
    expect(textOf(await callTool(client, "echo__grow"))).toBe("grown");
    const echoToolCounts = (): number[] =>
      hangar.events.flatMap((event) => (event.type === "ProviderToolsChanged" && event.providerId === "echo" ? [event.toolCount] : []));
    await waitFor(() => new Set(echoToolCounts()).size > 1, 5_000, "echo's tools/list_changed");
    expect(await listed(client)).not.toContain("echo__late");
    expect((await refusal(invoke(client, "echo", "late"))).message).toContain("deny_tools");
  });
});

describe("argument validation", () => {
  it("refuses invalid arguments with an isError result listing each violation, without starting the provider", async () => {
    const tag = marker();
    const hangar = await startHangar({ providers: { echo: { command: fixtureCommand("echo-server.js", tag), tools: [ADD] } } });
    const client = await hangar.connect();

    const invalid = await callToolRaw(client, "echo__add", { a: "two", c: 1 });
    expect(invalid.isError).toBe(true);
    expect(meta(invalid)["mcp-hangar/failure"]).toBe("rejected");
    expect(meta(invalid)["mcp-hangar/violations"]).toEqual([
      { path: "/b", message: "is required" },
      { path: "/a", message: "must be number" },
    ]);
    expect(textOf(invalid)).toContain("- /a: must be number");
    expect(textOf(invalid)).toContain("- /b: is required");
    const viaRegistry = await invoke(client, "echo", "add", { a: 1 });
    expect(viaRegistry.isError).toBe(true);
    expect(meta(viaRegistry)["mcp-hangar/violations"]).toEqual([{ path: "/b", message: "is required" }]);

    // Never started, never called: no process, still COLD; the refusals were counted as rejected.
    expect(findProcesses(tag)).toEqual([]);
    expect(hangar.runtime.view("echo")?.state).toBe("COLD");
    const rejected = hangar.events.filter((event) => event.type === "ToolInvocationFailed" && event.kind === "rejected");
    expect(rejected.map((event) => event.type === "ToolInvocationFailed" && event.refusal)).toEqual(["invalid_arguments", "invalid_arguments"]);

    expect(textOf(await callTool(client, "echo__add", { a: 1, b: 2 }))).toBe("3");
  });

  it("enforces the structural limits on every call, and validate_arguments: false leaves the schema to the provider", async () => {
    const tag = marker();
    const hangar = await startHangar({
      providers: {
        small: { command: fixtureCommand("echo-server.js", tag), tools: [ADD], max_argument_bytes: 64, max_argument_depth: 3, max_argument_string_length: 10 },
        trusting: { command: fixtureCommand("echo-server.js", tag), tools: [ADD], validate_arguments: false },
      },
    });
    const client = await hangar.connect();
    const tooBig = await callToolRaw(client, "small__add", { a: 1, b: 2, pad: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20] });
    expect(textOf(tooBig)).toMatch(/\(arguments\): arguments are \d+ bytes as JSON, over max_argument_bytes \(64\)/);
    const tooDeep = await callToolRaw(client, "small__add", { a: 1, b: 2, x: { y: { z: {} } } });
    expect(meta(tooDeep)["mcp-hangar/violations"]).toEqual([{ path: "/x/y/z", message: "nested deeper than max_argument_depth (3)" }]);
    const tooLong = await callToolRaw(client, "small__add", { a: 1, b: 2, s: "x".repeat(11) });
    expect(meta(tooLong)["mcp-hangar/violations"]).toEqual([{ path: "/s", message: "a string of 11 characters, over max_argument_string_length (10)" }]);
    expect(findProcesses(tag)).toEqual([]);

    // Not validated by the hangar: the provider gets the call and answers with its own error.
    const unchecked = await callToolRaw(client, "trusting__add", { a: "two" });
    expect(unchecked.isError).toBe(true);
    expect(meta(unchecked)["mcp-hangar/failure"]).toBeUndefined();
    expect(findProcesses(tag)).toHaveLength(1);
  });
});

describe("rate limits (fake clock)", () => {
  it("refuses the N+1st call per provider and per tool at once with the limit and when to retry, and refills", async () => {
    const tag = marker();
    let now = 1_000_000;
    const hangar = await startHangar(
      {
        providers: {
          echo: {
            command: fixtureCommand("echo-server.js", tag),
            tools: [ADD],
            rate_limit: { rps: 2, burst: 3 },
            tools_rate_limit: { echo: { rps: 1, burst: 1 } },
          },
        },
      },
      { clock: () => now },
    );
    const client = await hangar.connect();
    for (let i = 0; i < 3; i++) expect(textOf(await callTool(client, "echo__add", { a: i, b: 1 }))).toBe(String(i + 1));
    const limited = await refusal(callTool(client, "echo__add", { a: 1, b: 1 }));
    expect(limited.code).toBe(RATE_LIMITED_CODE);
    expect(limited.message).toContain("rate limit exceeded for provider 'echo' (rate_limit): 2 calls/s, burst 3; retry after 0.5 s");
    expect(limited.data).toEqual({ limit: "provider", retry_after_ms: 500, retry_after_s: 0.5 });
    // registry_invoke meets the same buckets.
    expect((await refusal(invoke(client, "echo", "add", { a: 1, b: 1 }))).code).toBe(RATE_LIMITED_CODE);

    now += 500;
    await learned(client, "echo__echo");
    expect(textOf(await callTool(client, "echo__echo", { text: "one" }))).toBe("one");
    now += 1_000;
    expect(textOf(await callTool(client, "echo__echo", { text: "two" }))).toBe("two");
    const toolLimited = await refusal(callTool(client, "echo__echo", { text: "three" }));
    expect(toolLimited.message).toContain("tool 'echo/echo' (tools_rate_limit): 1 calls/s, burst 1; retry after 1 s");
    expect(toolLimited.data).toMatchObject({ limit: "tool" });
    // The tool's limit did not use the provider's token: add still has one.
    expect(textOf(await callTool(client, "echo__add", { a: 1, b: 1 }))).toBe("2");

    const refused = hangar.events.flatMap((event) => (event.type === "ToolInvocationFailed" && event.refusal !== undefined ? [event.refusal] : []));
    expect(refused).toEqual(["rate_limited_provider", "rate_limited_provider", "rate_limited_tool"]);
  });

  it("limits each principal on its own (http.auth.rate_limit), registry tools included", async () => {
    const tag = marker();
    let now = 5_000_000;
    const hangar = await startHangar(
      { http: { auth: { rate_limit: { rps: 1, burst: 2 } } }, providers: { echo: { command: fixtureCommand("echo-server.js", tag), tools: [ADD] } } },
      { clock: () => now, frontEnd: "http" },
    );
    const alice = await hangar.connect({ principal: "alice", roles: [] });
    const bob = await hangar.connect({ principal: "bob", roles: [] });
    expect(textOf(await callTool(alice, "echo__add", { a: 1, b: 1 }))).toBe("2");
    await callTool(alice, "registry_list");
    const limited = await refusal(callTool(alice, "echo__add", { a: 1, b: 1 }));
    expect(limited.code).toBe(RATE_LIMITED_CODE);
    expect(limited.message).toContain("principal 'alice' (http.auth.rate_limit): 1 calls/s, burst 2; retry after 1 s");
    expect(textOf(await callTool(bob, "echo__add", { a: 2, b: 2 }))).toBe("4");
    now += 1_000;
    expect(textOf(await callTool(alice, "echo__add", { a: 3, b: 3 }))).toBe("6");
    // registry_invoke counts once against the principal, not once as a registry tool and once as a call.
    now += 2_000;
    expect(textOf(await invoke(alice, "echo", "add", { a: 4, b: 4 }))).toBe("8");
    expect(textOf(await invoke(alice, "echo", "add", { a: 5, b: 5 }))).toBe("10");
    expect((await refusal(invoke(alice, "echo", "add", { a: 6, b: 6 }))).code).toBe(RATE_LIMITED_CODE);
    // So do registry_invoke_ex and registry_invoke_stream, which share its admission.
    now += 2_000;
    const invokeEx = (a: number): Promise<CallToolResult> => callTool(alice, "registry_invoke_ex", { provider: "echo", tool: "add", arguments: { a, b: a } });
    expect(textOf(await invokeEx(7))).toBe("14");
    expect(textOf(await invokeEx(8))).toBe("16");
    expect((await refusal(invokeEx(9))).code).toBe(RATE_LIMITED_CODE);
  });
});

describe("admin tools", () => {
  it("are absent and refused with registry.admin_tools: false over stdio", async () => {
    const tag = marker();
    const hangar = await startHangar({ registry: { admin_tools: false }, providers: { echo: { command: fixtureCommand("echo-server.js", tag), tools: [ADD] } } });
    const client = await hangar.connect();
    const names = await listed(client);
    expect(names).toContain("registry_list");
    expect(names).toContain("registry_invoke");
    for (const admin of ["registry_start", "registry_stop", "registry_warm"]) {
      expect(names).not.toContain(admin);
      const refused = await refusal(callTool(client, admin, { provider: "echo" }));
      expect(refused.message).toContain(`'${admin}' is an admin tool`);
    }
    expect(findProcesses(tag)).toEqual([]);
    await waitForNoProcesses(tag, 1_000);
  });

  it("are offered to admin principals only over HTTP, and principals see only their allow_tools", async () => {
    const tag = marker();
    const hangar = await startHangar(
      { http: { auth: { principals: { ci: { allow_tools: ["echo__add", "registry_list"] } } } }, providers: { echo: { command: fixtureCommand("echo-server.js", tag), tools: [ADD, CRASH] } } },
      { frontEnd: "http" },
    );
    const user = await hangar.connect({ principal: "alice", roles: [] });
    const admin = await hangar.connect({ principal: "root", roles: ["admin"] });
    const ci = await hangar.connect({ principal: "ci", roles: [] });
    expect(await listed(user)).not.toContain("registry_stop");
    expect((await refusal(callTool(user, "registry_stop", { provider: "echo" }))).message).toContain("is an admin tool");
    expect(await listed(admin)).toContain("registry_stop");
    expect(jsonOf(await callTool(admin, "registry_start", { provider: "echo" })).started).toBe(true);

    expect((await listed(ci)).sort()).toEqual(["echo__add", "registry_list"]);
    expect((await refusal(callTool(ci, "echo__crash"))).message).toContain("not available to principal 'ci'");
    expect((await refusal(invoke(ci, "echo", "add", { a: 1, b: 1 }))).message).toContain("not available to principal 'ci'");
    expect(textOf(await callTool(ci, "echo__add", { a: 1, b: 1 }))).toBe("2");
  });
});

describe("subprocess hygiene", () => {
  it("runs a command array as is: shell characters in arguments are plain characters", async () => {
    const tag = marker();
    const dir = mkdtempSync(join(tmpdir(), "hangar-hygiene-"));
    try {
      const pwned = join(dir, "pwned");
      const args = [`; touch ${pwned}`, `$(touch ${pwned})`, `\`touch ${pwned}\``, `| touch ${pwned}`, `&& touch ${pwned}`];
      const hangar = await startHangar({ providers: { echo: { command: [...fixtureCommand("echo-server.js", tag), ...args], tools: [ADD] } } });
      const client = await hangar.connect();
      expect(textOf(await callTool(client, "echo__add", { a: 1, b: 1 }))).toBe("2");
      expect(existsSync(pwned)).toBe(false);
      // The provider got every argument, character for character.
      const [pid] = findProcesses(tag);
      expect(readFileSync(`/proc/${pid ?? 0}/cmdline`, "utf8").split("\0").slice(-args.length - 1, -1)).toEqual(args);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
