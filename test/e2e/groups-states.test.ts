import { describe, expect, it } from "vitest";
import { callTool, invoke, textOf, useE2E } from "../helpers/cli.js";
import { echoMember, groupRow, memberOf, untilGroup } from "../helpers/groups.js";
import { failureKind, untilDetails } from "../helpers/resilience.js";

/**
 * A group's states over real members: PARTIAL (fewer than min_healthy in rotation) still serves;
 * INACTIVE (none) refuses at once with an error that says why; a member coming back revives it.
 * Members die for good here (max_restarts: 0), so they are DEAD until registry_start.
 */
const e2e = useE2E();

describe("group states", () => {
  it("PARTIAL still serves, INACTIVE gives a clear error, and the group lists its tools as <group>__<tool>", async () => {
    const marker = e2e.marker();
    const mortal = { restart: { max_restarts: 0 } };
    const hangar = await e2e.start({
      providers: {
        x: echoMember(marker, "x", mortal),
        y: echoMember(marker, "y", mortal),
        pair: { mode: "group", strategy: "round_robin", min_healthy: 2, members: ["x", "y"] },
      },
    });
    const { client } = hangar;
    expect((await groupRow(client, "pair")).state).toBe("HEALTHY");
    const xPid = Number(textOf(await invoke(client, "x", "pid")));
    const yPid = Number(textOf(await invoke(client, "y", "pid")));

    // Once a member ran, the group lists the union of its members' tools under its own name.
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("pair__echo");
    expect(names).toContain("x__echo");
    expect(textOf(await callTool(client, "pair__echo", { text: "by flat name" }))).toBe("by flat name");

    process.kill(xPid, "SIGKILL");
    await untilDetails(client, "x", (info) => info.state === "DEAD", 5_000);
    const partial = await untilGroup(client, "pair", (row) => row.state === "PARTIAL", 5_000);
    expect(partial.members.map((m) => [m.id, m.in_rotation])).toEqual([
      ["x", false],
      ["y", true],
    ]);
    for (let i = 0; i < 4; i++) {
      const result = await invoke(client, "pair", "echo", { text: "still here" });
      expect(textOf(result)).toBe("still here");
      expect(memberOf(result)).toBe("y");
    }

    process.kill(yPid, "SIGKILL");
    await untilGroup(client, "pair", (row) => row.state === "INACTIVE", 5_000);
    const started = performance.now();
    const refused = await invoke(client, "pair", "echo", { text: "anyone?" });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(refused.isError).toBe(true);
    expect(failureKind(refused)).toBe("unavailable");
    expect(textOf(refused)).toBe("group 'pair' is INACTIVE: none of its 2 members is available (x: DEAD, y: DEAD)");
    expect(refused._meta?.["mcp-hangar/group"]).toBe("pair");

    // A person revives one member: the group serves again (PARTIAL: one of two).
    await callTool(client, "registry_start", { provider: "y" });
    await untilGroup(client, "pair", (row) => row.state === "PARTIAL", 5_000);
    expect(memberOf(await invoke(client, "pair", "echo", { text: "back" }))).toBe("y");
  });
});
