import { describe, expect, it } from "vitest";
import { callTool, invoke, textOf, useE2E } from "../helpers/cli.js";
import { echoMember, groupRow, memberOf, untilGroup } from "../helpers/groups.js";
import { fastRestart, untilReady } from "../helpers/resilience.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Failover and failback of a priority group over real processes: the preferred member is killed
 * with SIGKILL, calls keep succeeding on the next member, and traffic returns to the preferred
 * member only after it has been back in rotation for failback_delay_s.
 */
const e2e = useE2E();
const FAILBACK_DELAY_S = 2;

/** Calls `add` (readOnlyHint: retried on another member if one crashes under it) until stopped. */
function callLoop(client: Parameters<typeof invoke>[0], group: string) {
  const results: { member: string | undefined; error: boolean }[] = [];
  const control = { running: true };
  const loop = (async () => {
    while (control.running) {
      const result = await invoke(client, group, "add", { a: 1, b: 2 });
      results.push({ member: memberOf(result), error: result.isError === true || textOf(result) !== "3" });
    }
  })();
  return {
    count: (): number => results.length,
    lastMember: (): string | undefined => results.at(-1)?.member,
    stop: async (): Promise<{ member: string | undefined; error: boolean }[]> => {
      control.running = false;
      await loop;
      return results;
    },
  };
}

/** A priority group `svc`: `main` preferred (listed second, so priority decides, not order), `backup` next; both restart fast. */
function mainAndBackup(marker: string, failover: Record<string, unknown>): Record<string, unknown> {
  const member = { restart: fastRestart(0.5, { maxS: 0.5 }) };
  return {
    providers: {
      main: echoMember(marker, "main", member),
      backup: echoMember(marker, "backup", member),
      svc: {
        mode: "group",
        strategy: "priority",
        members: [
          { id: "backup", priority: 2 },
          { id: "main", priority: 1 },
        ],
        failover,
      },
    },
  };
}

describe("group failover and failback", () => {
  it("kill the preferred member: calls keep succeeding on the next; it recovers: traffic returns after the failback delay", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(mainAndBackup(marker, { auto_failback: true, failback_delay_s: FAILBACK_DELAY_S }));
    const { client } = hangar;
    await callTool(client, "registry_warm", { providers: ["main", "backup"] });
    const first = await invoke(client, "svc", "pid");
    expect(memberOf(first)).toBe("main");
    const mainPid = Number(textOf(first));

    // Kill the preferred member in the middle of steady traffic.
    const loop = callLoop(client, "svc");
    await waitFor(() => loop.count() >= 5, 5_000, "the first calls of the loop");
    process.kill(mainPid, "SIGKILL");
    const failedOver = await untilGroup(client, "svc", (row) => row.active === "backup", 5_000, "failover to backup");
    expect(failedOver.preferred).toBe("main");
    expect(failedOver.members.find((m) => m.id === "main")?.in_rotation).toBe(false);

    // main is restarted by its recovery saga; from the moment it is READY again, traffic stays
    // on backup for failback_delay_s, then returns.
    await untilReady(client, "main", 8_000, mainPid);
    const healthyAgain = await untilGroup(client, "svc", (row) => row.members.some((m) => m.id === "main" && m.state === "READY"), 5_000);
    const backAt = performance.now();
    expect(healthyAgain.active).toBe("backup");
    const returned = await untilGroup(client, "svc", (row) => row.active === "main", (FAILBACK_DELAY_S + 5) * 1_000, "failback to main");
    const returnedAfterMs = performance.now() - backAt;
    expect(returned.preferred).toBe("main");
    // Calls are sequential: once one is answered by main, every later one is too. Stopping the
    // loop before that would leave no call after the failback to check.
    await waitFor(() => loop.lastMember() === "main", 5_000, "a loop call answered by main after the failback");
    const results = await loop.stop();

    // Not one call failed, through the kill, the restart and the failback.
    expect(results.filter((r) => r.error)).toEqual([]);
    const members = results.map((r) => r.member);
    const firstBackup = members.indexOf("backup");
    const lastBackup = members.lastIndexOf("backup");
    expect(firstBackup).toBeGreaterThan(0);
    // After the failback every call goes to main again.
    expect(members.slice(lastBackup + 1).length).toBeGreaterThan(0);
    expect(new Set(members.slice(lastBackup + 1))).toEqual(new Set(["main"]));
    expect(new Set(members.slice(firstBackup, lastBackup + 1))).toEqual(new Set(["backup"]));
    // The failback came no earlier than the delay (less the polling interval that noticed the return).
    expect(returnedAfterMs).toBeGreaterThanOrEqual(FAILBACK_DELAY_S * 1_000 - 500);
    expect(memberOf(await invoke(client, "svc", "pid"))).toBe("main");
  });

  it("without auto_failback traffic stays on the fallback until registry_group_rebalance", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(mainAndBackup(marker, { auto_failback: false }));
    const { client } = hangar;
    const mainPid = Number(textOf(await invoke(client, "svc", "pid")));
    process.kill(mainPid, "SIGKILL");
    await untilGroup(client, "svc", (row) => row.active === "backup", 5_000, "failover to backup");
    await untilReady(client, "main", 8_000, mainPid);
    await untilGroup(client, "svc", (row) => row.members.every((m) => m.in_rotation), 5_000);
    for (let i = 0; i < 5; i++) expect(memberOf(await invoke(client, "svc", "add", { a: 1, b: 1 }))).toBe("backup");

    const rebalanced = await callTool(client, "registry_group_rebalance", { group: "svc" });
    expect(rebalanced.structuredContent).toMatchObject({ rebalanced: true, active: "main", preferred: "main", state: "HEALTHY" });
    expect(memberOf(await invoke(client, "svc", "add", { a: 1, b: 1 }))).toBe("main");
    expect((await groupRow(client, "svc")).members.map((m) => m.in_flight)).toEqual([0, 0]);
  });
});
