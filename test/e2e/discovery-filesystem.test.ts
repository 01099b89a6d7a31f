import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";

const e2e = useE2E();

/** A provider file in the main config's format; `tools` are predefined so they list before any start. */
function providerFile(providers: Record<string, { marker: string; description?: string; tools?: string[] }>): string {
  return JSON.stringify({
    providers: Object.fromEntries(
      Object.entries(providers).map(([id, p]) => [
        id,
        {
          command: fixtureCommand("echo-server.js", p.marker),
          ...(p.description === undefined ? {} : { description: p.description }),
          tools: (p.tools ?? ["pid"]).map((name) => ({ name })),
        },
      ]),
    ),
  });
}

describe("filesystem discovery", () => {
  it("adds, changes, breaks and deletes provider files while the hangar runs", async () => {
    const staticMarker = e2e.marker();
    const fileMarker = e2e.marker();
    const folder = join(e2e.dir(), "providers.d");
    mkdirSync(folder, { recursive: true });
    let listChanged = 0;
    const hangar = await e2e.start(
      {
        providers: { fixed: { command: fixtureCommand("echo-server.js", staticMarker), tools: [{ name: "pid" }] } },
        discovery: { sources: [{ type: "filesystem", name: "local", path: folder }] },
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
    const toolNames = async () => (await client.listTools()).tools.map((tool) => tool.name);
    const fixedPid = Number(textOf(await callTool(client, "fixed__pid")));

    // Add: the file's provider appears (its predefined tool listed, nothing started).
    const file = join(folder, "team.yaml");
    writeFileSync(file, providerFile({ files: { marker: fileMarker } }));
    await eventually(async () => (await toolNames()).includes("files__pid"), 3_000, "files__pid to be listed");
    expect(listChanged).toBeGreaterThan(0);
    expect(findProcesses(fileMarker)).toEqual([]);
    const firstPid = Number(textOf(await callTool(client, "files__pid")));
    expect(findProcesses(fileMarker)).toEqual([firstPid]);

    // Change: the spec changed, so the running provider drains and restarts with the new spec.
    writeFileSync(file, providerFile({ files: { marker: fileMarker, description: "v2", tools: ["pid", "echo"] } }));
    await eventually(async () => (await toolNames()).includes("files__echo"), 3_000, "files__echo to be listed");
    const secondPid = await eventually(
      () => Promise.resolve(findProcesses(fileMarker).find((pid) => pid !== firstPid)),
      3_000,
      "the changed provider to restart",
    );
    await eventually(() => Promise.resolve(findProcesses(fileMarker).length === 1), 3_000, "the old process to stop");
    expect(Number(textOf(await callTool(client, "files__pid")))).toBe(secondPid);

    // Break: reported with file:line:col, quarantined; the running provider stays as it was.
    writeFileSync(file, "providers:\n  files:\n    command: node server.js\n");
    const sources = await eventually(async () => {
      const result = jsonOf(await callTool(client, "registry_sources")) as { sources: { source: string; health: string; last_error?: string; rejected: { item: string }[] }[] };
      const local = result.sources.find((source) => source.source === "filesystem:local");
      return local?.health === "error" ? local : undefined;
    }, 3_000, "the broken file to be reported");
    expect(sources.last_error).toContain(`${file}:3:14: providers.files.command: expected an array of strings`);
    expect(sources.rejected.map((item) => item.item)).toEqual([file]);
    const quarantine = jsonOf(await callTool(client, "registry_quarantine")) as { rejected: { source: string; item: string; message: string }[] };
    expect(quarantine.rejected).toEqual([{ source: "filesystem:local", item: file, message: expect.stringContaining(`${file}:3:14`) as unknown }]);
    expect(findProcesses(fileMarker)).toEqual([secondPid]);
    expect(await toolNames()).toEqual(expect.arrayContaining(["files__pid", "files__echo"]));
    expect(Number(textOf(await callTool(client, "files__pid")))).toBe(secondPid);

    // Delete: its providers go, with their processes; the static provider was never touched.
    rmSync(file);
    await eventually(async () => !(await toolNames()).includes("files__pid"), 3_000, "files__pid to leave the list");
    await waitForNoProcesses(fileMarker, 5_000);
    expect(findProcesses(staticMarker)).toEqual([fixedPid]);
    const list = jsonOf(await callTool(client, "registry_list")) as { providers: { id: string }[] };
    expect(list.providers.map((p) => p.id)).toEqual(["fixed"]);
  });
});
