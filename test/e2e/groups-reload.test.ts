import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { callTool, eventually, invoke, jsonOf, textOf, useE2E, type RunningHangar } from "../helpers/cli.js";
import { echoMember, groupRow, memberOf, untilGroup } from "../helpers/groups.js";
import { findProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useE2E();

const TOOLS = [{ name: "pid" }, { name: "slow" }];

/** Writes the next config and sends SIGHUP; resolves once the hangar logged this (the n-th) reload. */
async function reloadWith(hangar: RunningHangar, path: string, config: object): Promise<void> {
  const before = reloads(hangar);
  writeFileSync(path, JSON.stringify(config));
  process.kill(hangar.pid, "SIGHUP");
  await waitFor(() => reloads(hangar) > before, 5_000, "the config reload");
}

function reloads(hangar: RunningHangar): number {
  return hangar.stderr().split("config reloaded (SIGHUP)").length - 1;
}

const memberIds = (row: { members: { id: string }[] }): string => row.members.map((member) => member.id).join();

describe("hot reload of groups", () => {
  it("adds and removes members, replaces a group whose strategy changed, removes and adds groups — no call dropped", async () => {
    const [busyMarker, otherMarker, addedMarker, oldieMarker] = [e2e.marker(), e2e.marker(), e2e.marker(), e2e.marker()];
    const providers = {
      busy: echoMember(busyMarker, "busy", { tools: TOOLS }),
      other: echoMember(otherMarker, "other", { tools: TOOLS }),
    };
    const old = { mode: "group", members: [{ id: "oldie", ...echoMember(oldieMarker, "oldie", { tools: TOOLS }) }] };
    const v1 = { providers: { ...providers, work: { mode: "group", members: ["busy"] }, old } };
    const path = e2e.writeConfig(v1);
    const hangar = await e2e.startWith(path);
    const { client } = hangar;
    const busyPid = Number(textOf(await invoke(client, "work", "pid")));
    const oldiePid = Number(textOf(await invoke(client, "old", "pid")));

    // 1. A member is added (an inline one, new) while the untouched member serves a long call.
    const long = callTool(client, "work__slow", { ms: 4_000 });
    await untilGroup(client, "work", (row) => row.members[0]?.in_flight === 1, 3_000, "the long call in flight");
    const added = { id: "added", ...echoMember(addedMarker, "added", { tools: TOOLS }) };
    await reloadWith(hangar, path, { providers: { ...providers, work: { mode: "group", members: ["busy", added] }, old } });
    const grown = await untilGroup(client, "work", (row) => memberIds(row) === "busy,added", 5_000, "added to join work");
    expect(grown.members[0]?.in_flight).toBe(1);
    expect(textOf(await long)).toBe("slept 4000");
    expect(findProcesses(busyMarker)).toEqual([busyPid]);
    const answeredBy = new Set<string>();
    for (let i = 0; i < 4; i += 1) answeredBy.add(memberOf(await invoke(client, "work", "pid")) ?? "?");
    expect([...answeredBy].sort()).toEqual(["added", "busy"]);
    expect(findProcesses(addedMarker)).toHaveLength(1);

    // 2. The member is removed again: it leaves the group, and as an inline member it stops.
    await reloadWith(hangar, path, { providers: { ...providers, work: { mode: "group", members: ["busy"] }, old } });
    await untilGroup(client, "work", (row) => memberIds(row) === "busy", 5_000, "added to leave work");
    await waitForNoProcesses(addedMarker, 5_000);

    // 3. The strategy changes while a call runs: a fresh group takes over; the call completes; members untouched.
    const second = callTool(client, "work__slow", { ms: 4_000 });
    await untilGroup(client, "work", (row) => row.members[0]?.in_flight === 1, 3_000, "the second long call in flight");
    await reloadWith(hangar, path, {
      providers: { ...providers, work: { mode: "group", strategy: "priority", members: ["busy", "other"] }, old },
    });
    const replaced = await untilGroup(client, "work", (row) => row.strategy === "priority", 5_000, "work to use priority");
    expect(memberIds(replaced)).toBe("busy,other");
    expect(textOf(await second)).toBe("slept 4000");
    expect(findProcesses(busyMarker)).toEqual([busyPid]);
    expect(memberOf(await invoke(client, "work", "pid"))).toBe("busy");

    // 4. A group is removed: its tools go, its inline member stops after draining.
    await reloadWith(hangar, path, { providers: { ...providers, work: { mode: "group", strategy: "priority", members: ["busy", "other"] } } });
    await eventually(async () => !(await client.listTools()).tools.some((tool) => tool.name.startsWith("old__")), 5_000, "old's tools to go");
    await waitForNoProcesses(oldieMarker, 5_000);
    expect(findProcesses(oldieMarker)).not.toContain(oldiePid);
    await expect(groupRow(client, "old")).rejects.toThrow(/unknown group 'old'/);

    // 5. A group is added: it appears with its tools and takes calls.
    await reloadWith(hangar, path, {
      providers: {
        ...providers,
        work: { mode: "group", strategy: "priority", members: ["busy", "other"] },
        fresh: { mode: "group", strategy: "least_connections", members: ["other"] },
      },
    });
    await eventually(async () => (await client.listTools()).tools.some((tool) => tool.name === "fresh__pid"), 5_000, "fresh__pid");
    expect(memberOf(await callTool(client, "fresh__pid"))).toBe("other");
    expect((jsonOf(await callTool(client, "registry_group_list")).groups as { id: string }[]).map((group) => group.id).sort()).toEqual(["fresh", "work"]);
    await hangar.waitForStderr("config reload: groups 1 added, 0 changed, 0 removed");
    // busy served every step without a restart.
    expect(findProcesses(busyMarker)).toEqual([busyPid]);
    // Many steps, each a reload and a real process: generous under a loaded machine.
  }, 90_000);

  it("a reload with an error in a group is rejected whole; the groups stay as they were", async () => {
    const marker = e2e.marker();
    const good = { providers: { a: echoMember(marker, "a", { tools: TOOLS }), g: { mode: "group", members: ["a"] } } };
    const path = e2e.writeConfig(good);
    const hangar = await e2e.startWith(path);
    writeFileSync(path, JSON.stringify({ providers: { a: echoMember(marker, "a", { tools: TOOLS }), g: { mode: "group", strategy: "fastest", members: ["a", "nobody"] } } }));
    process.kill(hangar.pid, "SIGHUP");
    await hangar.waitForStderr("config reload (SIGHUP) rejected", 5_000);
    expect(hangar.stderr()).toContain("providers.g.strategy");
    const row = await groupRow(hangar.client, "g");
    expect(row).toMatchObject({ strategy: "round_robin", members: [expect.objectContaining({ id: "a" })] });
    expect(memberOf(await invoke(hangar.client, "g", "pid"))).toBe("a");
  });
});
