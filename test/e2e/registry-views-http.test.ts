import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { fixtureCommand, jsonOf, textOf } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";
import { findProcesses } from "../helpers/processes.js";
import { refusal } from "../helpers/rpc-refusal.js";

/**
 * The registry tools and the initialize instructions show a principal only the providers it may
 * reach (allow_providers / deny_providers), over real HTTP with real tokens and real providers:
 * a denied provider is absent everywhere, and asked for by name it is as unknown as an id no
 * config has — the error texts are the same word for word.
 */
const e2e = useHttpE2E();

const ALICE_TOKEN = "alice-token-6c1f93b0d2a7";
const ROOT_TOKEN = "root-token-2e84a7c95f10";
const SECRET_DESCRIPTION = "Payroll records (confidential)";

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return jsonOf((await client.callTool({ name, arguments: args })) as CallToolResult);
}

function ids(rows: unknown): string[] {
  return (rows as { id: string }[]).map((row) => row.id);
}

/** The error a provider-addressed registry tool answers for `id`, with `id` blanked out. */
async function unknownText(client: Client, name: string, args: Record<string, unknown>, id: string): Promise<string> {
  const error = await refusal(client.callTool({ name, arguments: args }));
  return error.message.replaceAll(id, "<id>");
}

describe("registry views over HTTP follow the principal's provider lists", () => {
  it("leave a denied provider out of lists, health, status, groups and instructions, and answer for it as for an unknown id", async () => {
    const open = e2e.marker();
    const secret = e2e.marker();
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS", principals: { alice: { deny_providers: ["secret"] } } } },
        providers: {
          open: { command: fixtureCommand("echo-server.js", open), description: "Public echo", tools: [{ name: "echo" }] },
          secret: { command: fixtureCommand("echo-server.js", secret), description: SECRET_DESCRIPTION, tools: [{ name: "echo" }] },
          pool: { mode: "group", strategy: "round_robin", members: ["open", "secret"] },
        },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${ALICE_TOKEN},root:${ROOT_TOKEN}:admin` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;
    const root = (await e2e.streamable(hangar.url, { token: ROOT_TOKEN })).client;

    // Instructions: each session's, for its own principal.
    expect(alice.getInstructions()).toContain("## open\nPublic echo");
    expect(alice.getInstructions()).not.toContain("secret");
    expect(alice.getInstructions()).not.toContain(SECRET_DESCRIPTION);
    expect(root.getInstructions()).toContain(`## secret\n${SECRET_DESCRIPTION}`);

    // Lists, health and the dashboard: absent, not marked.
    expect(ids((await call(alice, "registry_list")).providers)).toEqual(["open"]);
    expect(ids((await call(root, "registry_list")).providers)).toEqual(["open", "secret"]);
    const health = await call(alice, "registry_health");
    expect(health.providers).toBe(1);
    expect(ids(health.details)).toEqual(["open"]);
    expect(textOf((await alice.callTool({ name: "registry_status", arguments: {} })) as CallToolResult)).not.toContain("secret");
    expect(textOf((await root.callTool({ name: "registry_status", arguments: {} })) as CallToolResult)).toContain("secret");
    const aliceTools = (await call(alice, "registry_tools")).tools as { provider: string }[];
    expect(new Set(aliceTools.map((tool) => tool.provider))).toEqual(new Set(["open", "pool"]));

    // Groups: the group is listed, its denied member is not.
    const [alicePool] = (await call(alice, "registry_group_list")).groups as { id: string; members: unknown }[];
    expect(alicePool?.id).toBe("pool");
    expect(ids(alicePool?.members)).toEqual(["open"]);
    const [rootPool] = (await call(root, "registry_group_list")).groups as { members: unknown }[];
    expect(ids(rootPool?.members)).toEqual(["open", "secret"]);

    // By name: the same answer as for an id no config has, listing only what alice reaches.
    const byName: [string, (id: string) => Record<string, unknown>][] = [
      ["registry_details", (id) => ({ provider: id })],
      ["registry_history", (id) => ({ provider: id })],
      ["registry_tools", (id) => ({ provider: id })],
      ["registry_status", (id) => ({ chart: id })],
      ["registry_invoke", (id) => ({ provider: id, tool: "echo", arguments: { text: "hi" } })],
      ["registry_invoke_ex", (id) => ({ provider: id, tool: "echo", arguments: { text: "hi" } })],
    ];
    for (const [name, args] of byName) {
      const denied = await unknownText(alice, name, args("secret"), "secret");
      expect(denied, name).toBe(await unknownText(alice, name, args("ghost"), "ghost"));
      expect(denied, name).toContain("unknown provider '<id>'; known providers: open");
    }
    // A denied provider's flat tool name is an unknown tool, and the known tools named are hers.
    const deniedTool = (await refusal(alice.callTool({ name: "secret__echo", arguments: { text: "hi" } }))).message;
    expect(deniedTool.replaceAll("secret__echo", "<id>")).toBe((await refusal(alice.callTool({ name: "ghost__echo", arguments: { text: "hi" } }))).message.replaceAll("ghost__echo", "<id>"));
    expect(deniedTool).toContain("unknown tool 'secret__echo'; known tools: open__echo, pool__echo, registry_list");
    expect(deniedTool.replaceAll("secret__echo", "")).not.toContain("secret");
    const deniedGroup = await unknownText(alice, "registry_group_list", { group: "secret" }, "secret");
    expect(deniedGroup).toBe(await unknownText(alice, "registry_group_list", { group: "ghost" }, "ghost"));

    // Nothing of this started the denied provider; root still sees and reaches it.
    expect(findProcesses(secret)).toEqual([]);
    expect((await call(root, "registry_details", { provider: "secret" })).description).toBe(SECRET_DESCRIPTION);
  });

  it("keeps a principal allowed only a group from seeing the group's members", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS", principals: { alice: { allow_providers: ["pool"] } } } },
        providers: {
          a: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] },
          b: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] },
          pool: { mode: "group", strategy: "priority", members: ["a", "b"] },
        },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${ALICE_TOKEN},root:${ROOT_TOKEN}:admin` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;

    expect((await call(alice, "registry_list")).providers).toEqual([]);
    const [pool] = (await call(alice, "registry_group_list", { group: "pool" })).groups as Record<string, unknown>[];
    expect(pool).toMatchObject({ id: "pool", members: [] });
    expect(pool?.preferred).toBeUndefined();
    // The group still serves her call, whichever member it picks.
    const result = (await alice.callTool({ name: "registry_invoke", arguments: { provider: "pool", tool: "echo", arguments: { text: "hi" } } })) as CallToolResult;
    expect(result.isError).not.toBe(true);
  });
});
