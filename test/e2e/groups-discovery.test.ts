import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { expectProviders, sourcesSynced } from "../helpers/discovery.js";
import { FakeKubeApi } from "../helpers/fake-kube-api.js";
import { echoMember, groupRow, memberOf, untilGroup } from "../helpers/groups.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { startEverythingHttp, stopRemoteServers } from "../helpers/remote-servers.js";

const e2e = useE2E();
let api: FakeKubeApi | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
  await stopRemoteServers();
});

const PID = { name: "pid" };

describe("discovered providers join groups", () => {
  it("filesystem: a file's provider with `group:` joins the configured group; deleting the file drains it out", async () => {
    const [staticMarker, fileMarker] = [e2e.marker(), e2e.marker()];
    const folder = join(e2e.dir(), "group-files.d");
    mkdirSync(folder, { recursive: true });
    let listChanged = 0;
    const hangar = await e2e.start(
      {
        providers: {
          base: echoMember(staticMarker, "base", { tools: [PID] }),
          search: { mode: "group", strategy: "round_robin", members: ["base"] },
        },
        discovery: { sources: [{ type: "filesystem", name: "teams", path: folder }] },
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
    expect(await toolNames()).not.toContain("search__echo");
    const file = join(folder, "extra.yaml");
    writeFileSync(file, JSON.stringify({ providers: { extra: { ...echoMember(fileMarker, "extra"), tools: [PID, { name: "echo" }], group: { id: "search", weight: 2 } } } }));
    const row = await untilGroup(client, "search", (group) => group.members.length === 2, 5_000, "extra to join search");
    expect(row.members.map((m) => [m.id, m.weight])).toEqual([["base", 1], ["extra", 2]]);
    expect(jsonOf(await callTool(client, "registry_group_list", { group: "search" })).groups).toEqual([expect.objectContaining({ auto: false })]);
    // The group lists its members' tools: extra's echo is the group's now.
    await eventually(async () => (await toolNames()).includes("search__echo"), 3_000, "search__echo");
    expect(listChanged).toBeGreaterThan(0);
    const answeredBy = new Set<string>();
    for (let i = 0; i < 4; i += 1) answeredBy.add(memberOf(await invoke(client, "search", "pid")) ?? "?");
    expect([...answeredBy].sort()).toEqual(["base", "extra"]);
    expect(findProcesses(fileMarker)).toHaveLength(1);

    // A bad group value in a file is reported file:line:col like every other field.
    const broken = join(folder, "broken.yaml");
    writeFileSync(broken, "providers:\n  other:\n    command: [node, x.js]\n    group:\n      id: search\n      weight: heavy\n");
    const quarantine = await eventually(async () => {
      const result = jsonOf(await callTool(client, "registry_quarantine")) as { rejected: { item: string; message: string }[] };
      return result.rejected.find((item) => item.item === broken);
    }, 3_000, "the broken file to be reported");
    expect(quarantine.message).toContain(`${broken}:6:15: providers.other.group.weight`);

    // The file goes: its provider leaves the group (drained) and stops; the static member stays.
    rmSync(file);
    await untilGroup(client, "search", (group) => group.members.map((m) => m.id).join() === "base", 5_000, "extra to leave search");
    await waitForNoProcesses(fileMarker, 5_000);
    expect(memberOf(await invoke(client, "search", "pid"))).toBe("base");
  });

  it("a provider naming a provider's id as its group is reported as a conflict and runs on its own", async () => {
    const [staticMarker, fileMarker] = [e2e.marker(), e2e.marker()];
    const folder = join(e2e.dir(), "conflict.d");
    mkdirSync(folder, { recursive: true });
    const hangar = await e2e.start({
      providers: { base: echoMember(staticMarker, "base", { tools: [PID] }) },
      discovery: { sources: [{ type: "filesystem", name: "teams", path: folder }] },
    });
    const { client } = hangar;
    writeFileSync(join(folder, "clash.yaml"), JSON.stringify({ providers: { clash: { ...echoMember(fileMarker, "clash"), tools: [PID], group: "base" } } }));
    await expectProviders(hangar, ["base", "clash"], "the file's provider");
    await hangar.waitForStderr("group conflict: provider 'clash' asks to join group 'base', but 'base' is a provider", 5_000);
    const discovered = jsonOf(await callTool(client, "registry_discover")) as { group_conflicts: { provider: string; group: string; message: string }[] };
    expect(discovered.group_conflicts).toEqual([{ provider: "clash", group: "base", message: expect.stringContaining("runs on its own") as unknown }]);
    expect(jsonOf(await callTool(client, "registry_group_list")).groups).toEqual([]);
    // Both still answer under their own ids; the hangar is fine.
    expect(Number(textOf(await callTool(client, "clash__pid")))).toBe(findProcesses(fileMarker)[0]);
    expect(Number(textOf(await callTool(client, "base__pid")))).toBe(findProcesses(staticMarker)[0]);
  });

  it("a discovered provider with a configured group's id is refused and reported, and the group keeps its name", async () => {
    const [staticMarker, fileMarker] = [e2e.marker(), e2e.marker()];
    const folder = join(e2e.dir(), "shadow.d");
    mkdirSync(folder, { recursive: true });
    const hangar = await e2e.start({
      providers: { base: echoMember(staticMarker, "base", { tools: [PID] }), pool: { mode: "group", members: ["base"] } },
      discovery: { sources: [{ type: "filesystem", name: "teams", path: folder }] },
    });
    const { client } = hangar;
    writeFileSync(join(folder, "shadow.yaml"), JSON.stringify({ providers: { pool: { ...echoMember(fileMarker, "shadow"), tools: [PID] }, other: echoMember(fileMarker, "other", { tools: [PID] }) } }));
    // The file was read (its other provider is there); the one named like the group is not run.
    await expectProviders(hangar, ["base", "other"], "the file's other provider");
    await hangar.waitForStderr("group conflict: provider 'pool' from filesystem:teams has the id of configured group 'pool'; it is not run", 5_000);
    const discovered = jsonOf(await callTool(client, "registry_discover")) as { group_conflicts: { provider: string; group: string; message: string }[] };
    expect(discovered.group_conflicts).toEqual([{ provider: "pool", group: "pool", message: expect.stringContaining("the group keeps its name") as unknown }]);
    // Calls to `pool` still go to the group and its member.
    expect(memberOf(await invoke(client, "pool", "pid"))).toBe("base");
    expect(memberOf(await callTool(client, "pool__pid"))).toBe("base");
    expect(findProcesses(fileMarker)).toEqual([]);
  });

  it("Kubernetes: a pod with the group annotation forms an auto group; deleting the pod removes the group and its tools", { timeout: 60_000 }, async () => {
    // The pod's "IP" is loopback, where a real MCP server over streamable HTTP listens.
    const server = await startEverythingHttp();
    api = new FakeKubeApi();
    const url = await api.start();
    const kubeconfig = join(e2e.dir(), "kubeconfig-groups.yaml");
    writeFileSync(kubeconfig, api.kubeconfig(url));
    let listChanged = 0;
    const hangar = await e2e.start(
      {
        providers: { fixed: { command: fixtureCommand("echo-server.js", e2e.marker()), tools: [PID] } },
        discovery: { sources: [{ type: "kubernetes", name: "cluster", kubeconfig }] },
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
    const annotations = {
      "mcp.hangar.io/enabled": "true",
      "mcp.hangar.io/name": "everything-0",
      "mcp.hangar.io/port": String(server.port),
      "mcp.hangar.io/group": "everything",
      "mcp.hangar.io/weight": "3",
    };
    await sourcesSynced(hangar);
    api.apply({ name: "everything-0", annotations, phase: "Running", ready: true, podIP: "127.0.0.1" });
    // The group does not exist until the pod is seen: wait on the full list.
    await eventually(async () => (jsonOf(await callTool(client, "registry_group_list")).groups as unknown[]).length === 1, 5_000, "the auto group");
    const row = await groupRow(client, "everything");
    expect(row).toMatchObject({ strategy: "round_robin", members: [expect.objectContaining({ id: "everything-0", weight: 3 })] });
    expect(jsonOf(await callTool(client, "registry_group_list", { group: "everything" })).groups).toEqual([expect.objectContaining({ auto: true })]);

    // A call through the group starts the member; its tools then show as `everything__<tool>`.
    const echoed = await invoke(client, "everything", "echo", { message: "through the auto group" });
    expect(textOf(echoed)).toContain("through the auto group");
    expect(memberOf(echoed)).toBe("everything-0");
    await eventually(async () => (await client.listTools()).tools.some((tool) => tool.name === "everything__echo"), 5_000, "everything__echo");
    const changesBefore = listChanged;

    api.delete("everything-0");
    await eventually(async () => {
      const groups = jsonOf(await callTool(client, "registry_group_list")).groups as unknown[];
      return groups.length === 0;
    }, 5_000, "the auto group to go with its last member");
    await expectProviders(hangar, ["fixed"], "the pod's provider to go");
    await eventually(async () => !(await client.listTools()).tools.some((tool) => tool.name.startsWith("everything")), 3_000, "the group's tools to go");
    expect(listChanged).toBeGreaterThan(changesBefore);
    const refused = await callTool(client, "registry_invoke", { provider: "everything", tool: "echo", arguments: { message: "x" } }).then(
      (result) => JSON.stringify(result),
      (error: unknown) => String(error),
    );
    expect(refused).toContain("unknown provider 'everything'");
    await expect(groupRow(client, "everything")).rejects.toThrow();
  });
});
