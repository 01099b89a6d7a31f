import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { fixtureCommand, jsonOf } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";
import { findProcesses } from "../helpers/processes.js";
import { refusal } from "../helpers/rpc-refusal.js";

/** The admin gate over real HTTP with real tokens: `name:token:admin` entries get the admin tools. */
const e2e = useHttpE2E();

const USER_TOKEN = "user-token-4a7d19c2e8f0";
const ADMIN_TOKEN = "admin-token-8b3e50d7a1c6";
const ADMIN_TOOLS = ["registry_start", "registry_stop", "registry_warm", "registry_sources"];

describe("admin tools over HTTP", () => {
  it("are absent and refused for a non-admin principal, and offered to a name:token:admin principal", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS" } },
        providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] } },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${USER_TOKEN},root:${ADMIN_TOKEN}:admin` } },
    );
    const user = (await e2e.streamable(hangar.url, { token: USER_TOKEN })).client;
    const admin = (await e2e.streamable(hangar.url, { token: ADMIN_TOKEN })).client;

    const userTools = (await user.listTools()).tools.map((tool) => tool.name);
    expect(userTools).toContain("registry_list");
    expect(userTools).toContain("echo__echo");
    for (const name of ADMIN_TOOLS) {
      expect(userTools).not.toContain(name);
      const error = await user.callTool({ name, arguments: { provider: "echo" } }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).message).toContain(`'${name}' is an admin tool`);
    }
    expect(findProcesses(marker)).toEqual([]);

    const adminTools = (await admin.listTools()).tools.map((tool) => tool.name);
    expect(adminTools).toEqual(expect.arrayContaining(ADMIN_TOOLS));
    expect(jsonOf(await admin.callTool({ name: "registry_start", arguments: { provider: "echo" } }) as Parameters<typeof jsonOf>[0]).started).toBe(true);
    expect(findProcesses(marker)).toHaveLength(1);
    // The admin's token never shows, not even the role suffix with it.
    expect(hangar.stderr()).not.toContain(ADMIN_TOKEN);
    expect(hangar.stderr()).not.toContain(USER_TOKEN);
  });
});

describe("rate limits over HTTP", () => {
  it("refuses a principal's N+1st call at once with a JSON-RPC error naming the limit and when to retry", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      {
        // One call per 100 s after a burst of 2: the third call is refused however slow the machine.
        http: { auth: { tokens_env: "HANGAR_TOKENS", rate_limit: { rps: 0.01, burst: 2 } } },
        providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] } },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${USER_TOKEN},root:${ADMIN_TOKEN}:admin` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: USER_TOKEN })).client;
    const root = (await e2e.streamable(hangar.url, { token: ADMIN_TOKEN })).client;
    await alice.callTool({ name: "registry_list", arguments: {} });
    await alice.callTool({ name: "registry_health", arguments: {} });
    const error = await alice.callTool({ name: "registry_list", arguments: {} }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(McpError);
    const refused = error as McpError;
    expect(refused.code).toBe(RATE_LIMITED_CODE);
    expect(refused.message).toMatch(/rate limit exceeded for principal 'alice' \(http\.auth\.rate_limit\): 0\.01 calls\/s, burst 2; retry after \d+(\.\d+)? s/);
    expect(refused.data).toMatchObject({ limit: "principal" });
    expect((refused.data as { retry_after_s: number }).retry_after_s).toBeGreaterThan(90);
    // Another principal has its own bucket.
    await root.callTool({ name: "registry_list", arguments: {} });
  });
});

describe("resources and prompts meet the same admission over HTTP", () => {
  it("refuses a rate-limited provider's resources/read and prompts/get with -32029, and keeps a denied principal's lists and requests away from the provider", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS", principals: { alice: { deny_providers: ["fixture"] } } } },
        // One request per 100 s after a burst of 2: the third is refused however slow the machine.
        providers: { fixture: { command: fixtureCommand("conformance-server.js", marker), rate_limit: { rps: 0.01, burst: 2 } } },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${USER_TOKEN},root:${ADMIN_TOKEN}:admin` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: USER_TOKEN })).client;
    const root = (await e2e.streamable(hangar.url, { token: ADMIN_TOKEN })).client;

    // The denied principal's lists never ask the provider, and what only it serves is unknown to her.
    expect((await alice.listResources()).resources).toEqual([]);
    expect((await alice.listResourceTemplates()).resourceTemplates).toEqual([]);
    expect((await alice.listPrompts()).prompts).toEqual([]);
    const denied = await refusal(alice.readResource({ uri: "test://static-text" }));
    expect(denied.message).toContain("unknown resource 'test://static-text'");
    expect((await refusal(alice.getPrompt({ name: "fixture__test_simple_prompt" }))).message).toContain("unknown prompt 'fixture__test_simple_prompt'");
    expect(findProcesses(marker)).toEqual([]);

    await root.readResource({ uri: "test://static-text" });
    await root.getPrompt({ name: "fixture__test_simple_prompt" });
    for (const request of [() => root.readResource({ uri: "test://static-text" }), () => root.getPrompt({ name: "fixture__test_simple_prompt" })]) {
      const limited = await refusal(request());
      expect(limited.code).toBe(RATE_LIMITED_CODE);
      expect(limited.message).toMatch(/rate limit exceeded for provider 'fixture' \(rate_limit\): 0\.01 calls\/s, burst 2; retry after \d+(\.\d+)? s/);
      expect(limited.data).toMatchObject({ limit: "provider" });
      expect((limited.data as { retry_after_s: number }).retry_after_s).toBeGreaterThan(90);
    }
  });
});
