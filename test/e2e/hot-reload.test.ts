import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, invoke, runCli, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";

const e2e = useE2E();

const PID = { name: "pid" };
const SLOW = { name: "slow", inputSchema: { type: "object", properties: { ms: { type: "number" } } } };

describe("hot reload of the main config", () => {
  it("SIGHUP: the changed provider restarts, a long call on another completes, removed stop, added appear", async () => {
    const [busyMarker, changedMarker, removedMarker, addedMarker] = [e2e.marker(), e2e.marker(), e2e.marker(), e2e.marker()];
    const config = (changedDescription: string, withRemoved: boolean, withAdded: boolean) => ({
      providers: {
        busy: { command: fixtureCommand("echo-server.js", busyMarker), tools: [PID, SLOW] },
        changed: { command: fixtureCommand("echo-server.js", changedMarker), tools: [PID], description: changedDescription },
        ...(withRemoved ? { removed: { command: fixtureCommand("echo-server.js", removedMarker), tools: [PID] } } : {}),
        ...(withAdded ? { added: { command: fixtureCommand("echo-server.js", addedMarker), tools: [PID] } } : {}),
      },
    });
    const path = e2e.writeConfig(config("v1", true, false));
    const hangar = await e2e.startWith(path);
    const { client } = hangar;
    const busyPid = Number(textOf(await callTool(client, "busy__pid")));
    const changedPid = Number(textOf(await callTool(client, "changed__pid")));
    await callTool(client, "removed__pid");

    const longCall = callTool(client, "busy__slow", { ms: 1_500 });
    await eventually(async () => ((await details(client, "busy")).in_flight === 1 ? true : undefined), 3_000, "the long call to be in flight");

    writeFileSync(path, JSON.stringify(config("v2", false, true)));
    process.kill(hangar.pid, "SIGHUP");
    await hangar.waitForStderr("config reloaded (SIGHUP): 1 added, 1 changed, 1 removed, 1 unchanged", 5_000);

    // The changed provider was restarted (it was running); the busy one was not touched.
    const newChangedPid = await eventually(
      () => Promise.resolve(findProcesses(changedMarker).find((pid) => pid !== changedPid)),
      5_000,
      "the changed provider to restart",
    );
    await waitForNoProcesses(removedMarker, 5_000);
    expect(textOf(await longCall)).toBe("slept 1500");
    expect(findProcesses(busyMarker)).toEqual([busyPid]);
    expect(Number(textOf(await callTool(client, "busy__pid")))).toBe(busyPid);
    expect(Number(textOf(await callTool(client, "changed__pid")))).toBe(newChangedPid);
    expect(findProcesses(changedMarker)).toEqual([newChangedPid]);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("added__pid");
    expect(names).not.toContain("removed__pid");
    expect(findProcesses(addedMarker), "an added provider starts lazily like any other").toEqual([]);
  });

  it("rejects a config with errors whole, with the start-up messages, and keeps the running set", async () => {
    const marker = e2e.marker();
    const good = { providers: { keep: { command: fixtureCommand("echo-server.js", marker), tools: [PID] } } };
    const path = e2e.writeConfig(good);
    const hangar = await e2e.startWith(path);
    const pid = Number(textOf(await callTool(hangar.client, "keep__pid")));

    const broken = `providers:\n  keep:\n    command: node server.js\n  other:\n    command: [node, x.js]\n    idle_ttl_s: soon\n`;
    writeFileSync(path, broken);
    const startupMessage = (await runCli(["validate", path])).stderr.replace("mcp-hangar: invalid config\n", "").trim();
    expect(startupMessage).toContain(`${path}:3:14: providers.keep.command`);
    process.kill(hangar.pid, "SIGHUP");
    await hangar.waitForStderr("config reload (SIGHUP) rejected; the running providers stay as they were:", 5_000);
    for (const line of startupMessage.split("\n")) expect(hangar.stderr()).toContain(line);
    expect(findProcesses(marker)).toEqual([pid]);
    expect(Number(textOf(await invoke(hangar.client, "keep", "pid")))).toBe(pid);
    expect((await hangar.client.listTools()).tools.map((tool) => tool.name)).not.toContain("other__pid");
  });

  it("watch_config: a change to the file is applied without a signal", async () => {
    const marker = e2e.marker();
    const config = (extra: boolean) => ({
      watch_config: true,
      providers: {
        first: { command: fixtureCommand("echo-server.js", marker), tools: [PID] },
        ...(extra ? { second: { command: fixtureCommand("echo-server.js", marker), tools: [PID] } } : {}),
      },
    });
    const path = e2e.writeConfig(config(false));
    const hangar = await e2e.startWith(path);
    writeFileSync(path, JSON.stringify(config(true)));
    await eventually(async () => (await hangar.client.listTools()).tools.some((tool) => tool.name === "second__pid"), 3_000, "second__pid");
    await hangar.waitForStderr("config reloaded (the file changed): 1 added, 0 changed, 0 removed, 1 unchanged");
  });
});

async function details(client: Parameters<typeof callTool>[0], provider: string): Promise<{ in_flight: number }> {
  const result = await callTool(client, "registry_details", { provider });
  return result.structuredContent as { in_flight: number };
}
