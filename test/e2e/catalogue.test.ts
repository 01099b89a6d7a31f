import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useE2E();

const REGISTRY_TOOLS = [
  "registry_list",
  "registry_start",
  "registry_stop",
  "registry_tools",
  "registry_invoke",
  "registry_details",
  "registry_warm",
  "registry_health",
  "registry_status",
  "registry_history",
  "registry_group_list",
  "registry_group_rebalance",
  "registry_invoke_ex",
  "registry_invoke_stream",
  "registry_discover",
  "registry_sources",
  "registry_quarantine",
  "registry_approve",
];
const ECHO_FIXTURE_TOOLS = ["add", "close_stdout", "crash", "echo", "env", "fail", "image", "pid", "rpc_error", "slow", "structured"];
const VALID_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

interface ToolRow {
  provider: string;
  name: string;
  flat_name: string;
  source: string;
}

describe("the aggregated tool view", () => {
  it("reaches a provider without predefined tools through registry_invoke, then lists its tools and says so", async () => {
    const marker = e2e.marker();
    let listChanged = 0;
    const hangar = await e2e.start(
      { providers: { bare: { command: fixtureCommand("echo-server.js", marker) } } },
      {
        beforeConnect: (client) => {
          client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            listChanged += 1;
          });
        },
      },
    );
    const { client } = hangar;

    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([...REGISTRY_TOOLS].sort());
    expect(jsonOf(await callTool(client, "registry_tools", { provider: "bare" })).tools).toEqual([]);
    expect(findProcesses(marker)).toEqual([]);
    expect(listChanged).toBe(0);

    expect(textOf(await invoke(client, "bare", "echo", { text: "first contact" }))).toBe("first contact");
    await waitFor(() => listChanged > 0, 5_000, "notifications/tools/list_changed");

    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names.filter((name) => name.startsWith("bare__")).sort()).toEqual(ECHO_FIXTURE_TOOLS.map((tool) => `bare__${tool}`).sort());
    expect(textOf(await callTool(client, "bare__echo", { text: "by flat name" }))).toBe("by flat name");
    const rows = jsonOf(await callTool(client, "registry_tools", { provider: "bare" })).tools as ToolRow[];
    expect(rows.every((row) => row.source === "live")).toBe(true);
  });

  it("forwards a provider's own tools/list_changed and lists the new tool", async () => {
    const marker = e2e.marker();
    let listChanged = 0;
    const hangar = await e2e.start(
      {
        providers: {
          grows: { command: fixtureCommand("echo-server.js", marker), env: { FIXTURE_TOOLS_GROW: "1" } },
        },
      },
      {
        beforeConnect: (client) => {
          client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            listChanged += 1;
          });
        },
      },
    );
    const { client } = hangar;
    await callTool(client, "registry_start", { provider: "grows" });
    await waitFor(() => listChanged > 0, 5_000, "the first tools/list_changed (start)");
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain("grows__late");
    const afterStart = listChanged;

    // The provider registers `late` when told to, and says so with its own tools/list_changed.
    expect(textOf(await callTool(client, "grows__grow"))).toBe("grown");
    await waitFor(() => listChanged > afterStart, 5_000, "the provider's tools/list_changed, forwarded");
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("grows__late");
    expect(textOf(await callTool(client, "grows__late"))).toBe("late");
  });

  it("expose: registry lists only the registry tools, and flat names are refused", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      expose: "registry",
      providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] } },
    });
    const { client } = hangar;
    // The instructions a model reads promise only what is listed: no flat names, the registry's way in.
    expect(client.getInstructions()).not.toContain("__");
    expect(client.getInstructions()).toContain("registry_invoke");
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([...REGISTRY_TOOLS].sort());
    expect(textOf(await invoke(client, "echo", "echo", { text: "via registry" }))).toBe("via registry");
    // Started now, and still only the registry tools.
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([...REGISTRY_TOOLS].sort());
    await expect(callTool(client, "echo__echo", { text: "x" })).rejects.toThrow(/unknown tool 'echo__echo'/);
  });

  it("expose: tools lists only the flat tools, and registry tools are refused", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      expose: "tools",
      providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }, { name: "pid" }] } },
    });
    const { client } = hangar;
    // The instructions a model reads promise only what is listed: no registry tools.
    expect(client.getInstructions()).not.toContain("registry_");
    expect(client.getInstructions()).toContain("<provider>__<tool>");
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["echo__echo", "echo__pid"]);
    expect(textOf(await callTool(client, "echo__echo", { text: "flat only" }))).toBe("flat only");
    // The call went out before the provider's own list (its predefined tools stood in); the list follows.
    const everyTool = ECHO_FIXTURE_TOOLS.map((tool) => `echo__${tool}`).sort();
    const names = await eventually(async () => {
      const listed = (await client.listTools()).tools.map((tool) => tool.name).sort();
      return listed.length === everyTool.length && listed;
    }, 5_000, "the provider's own tools listed");
    expect(names).toEqual(everyTool);
    await expect(callTool(client, "registry_list")).rejects.toThrow(/unknown tool 'registry_list'/);
  });

  it("maps long and odd names to valid flat names of at most 64 characters, shown in registry_tools", async () => {
    const marker = e2e.marker();
    const longId = `p${"x".repeat(59)}`; // 60 characters: a valid provider id, too long with "__echo"
    const hangar = await e2e.start({
      providers: {
        [longId]: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] },
        odd: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "weird.tool/name with spaces" }, { name: "t".repeat(80) }] },
      },
    });
    const { client } = hangar;

    const rows = jsonOf(await callTool(client, "registry_tools", {})).tools as ToolRow[];
    const listed = (await client.listTools()).tools.map((tool) => tool.name);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.flat_name, row.name).toMatch(VALID_TOOL_NAME);
      expect(listed).toContain(row.flat_name);
    }
    expect(new Set(rows.map((row) => row.flat_name)).size).toBe(3);
    const echoRow = rows.find((row) => row.provider === longId && row.name === "echo");
    expect(echoRow?.flat_name.length).toBeLessThanOrEqual(64);
    expect(echoRow?.flat_name).not.toBe(`${longId}__echo`);
    expect(echoRow?.flat_name.startsWith(longId.slice(0, 50))).toBe(true);

    // The mapped name works, and stays the same once the live tools replace the predefined one.
    const flat = echoRow?.flat_name ?? "";
    expect(textOf(await callTool(client, flat, { text: "long way" }))).toBe("long way");
    const after = jsonOf(await callTool(client, "registry_tools", { provider: longId })).tools as ToolRow[];
    expect(after.find((row) => row.name === "echo")?.flat_name).toBe(flat);
    for (const name of (await client.listTools()).tools.map((tool) => tool.name)) expect(name).toMatch(VALID_TOOL_NAME);
  });
});
