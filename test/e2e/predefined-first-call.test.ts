import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, details, eventually, fixtureCommand, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useE2E();

interface ToolRow {
  name: string;
  source: string;
}

/**
 * A provider with predefined tools takes the calls that started it as soon as it is initialized;
 * its own tools/list follows them. The provider here (test/fixtures/raw-server.js with
 * RAW_HOLD_TOOLS_LIST) answers tools/list only when told to, so a hangar that waited for the list
 * before READY would never answer the first call.
 */
describe("a provider with predefined tools", () => {
  it("answers the first call before its tools/list is answered, then learns the list and says so", async () => {
    let listChanged = 0;
    const hangar = await e2e.start(
      {
        providers: {
          slowlist: {
            command: fixtureCommand("raw-server.js", e2e.marker()),
            env: { RAW_HOLD_TOOLS_LIST: "1" },
            tools: [{ name: "echo", description: "predefined", inputSchema: { type: "object" } }],
          },
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

    expect(textOf(await callTool(client, "slowlist__echo", { text: "before the list" }))).toBe("before the list");

    // The call went out first; the provider's list was asked for after it and is still held.
    const methodsSeen = async (): Promise<string[]> =>
      (JSON.parse(textOf(await invoke(client, "slowlist", "requests", {}))) as { method: string }[]).map((request) => request.method);
    const methods = await eventually(async () => {
      const seen = await methodsSeen();
      return seen.includes("tools/list") && seen;
    }, 5_000, "the hangar to ask for the provider's tools");
    expect(methods.indexOf("tools/call")).toBeGreaterThan(methods.indexOf("initialize"));
    expect(methods.indexOf("tools/list")).toBeGreaterThan(methods.indexOf("tools/call"));
    const before = jsonOf(await callTool(client, "registry_tools", { provider: "slowlist" })).tools as ToolRow[];
    expect(before).toEqual([expect.objectContaining({ name: "echo", source: "predefined" })]);
    expect((await details(client, "slowlist")).state).toBe("READY");

    const changesBefore = listChanged;
    expect(textOf(await invoke(client, "slowlist", "release_list", {}))).toBe("released 1");
    await waitFor(() => listChanged > changesBefore, 5_000, "notifications/tools/list_changed after the list came");
    const after = jsonOf(await callTool(client, "registry_tools", { provider: "slowlist" })).tools as ToolRow[];
    expect(after.map((row) => row.name)).toContain("release_list");
    expect(after.every((row) => row.source === "live")).toBe(true);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("slowlist__requests");
  });
});
