import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, details, eventually, fixtureCommand, invoke, REPO_ROOT, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses, isRunning, waitForExit, waitForNoProcesses } from "../helpers/processes.js";
import { waitFor } from "../helpers/wait.js";

const e2e = useE2E();

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

const PID_TOOL = { name: "pid", description: "The server's pid" };
const ECHO_TOOL = {
  name: "echo",
  description: "Returns its text",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
};

describe("provider lifecycle", () => {
  it("starts nothing until the first call, listing predefined tools under flat names meanwhile", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: { lazy: { command: fixtureCommand("echo-server.js", marker), tools: [PID_TOOL, ECHO_TOOL] } },
    });
    const { client } = hangar;
    expect(client.getServerVersion()).toEqual({ name: "mcp-hangar", version: VERSION });
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);

    const before = (await client.listTools()).tools;
    const names = before.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["lazy__pid", "lazy__echo", "registry_invoke", "registry_list"]));
    expect(before.find((tool) => tool.name === "lazy__echo")?.inputSchema).toEqual(ECHO_TOOL.inputSchema);
    expect(findProcesses(marker)).toEqual([]);
    expect((await details(client, "lazy")).state).toBe("COLD");
    expect(findProcesses(marker), "registry_details must not start the provider").toEqual([]);

    const pid = Number(textOf(await callTool(client, "lazy__pid")));
    expect(findProcesses(marker)).toEqual([pid]);
    expect(isRunning(pid)).toBe(true);
    const info = await details(client, "lazy");
    expect(info.state).toBe("READY");
    expect(info.pid).toBe(pid);
    expect(textOf(await callTool(client, "lazy__echo", { text: "warm now" }))).toBe("warm now");
  });

  it("single flight: 50 concurrent first calls share one provider process", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: { single: { command: fixtureCommand("echo-server.js", marker), tools: [PID_TOOL, ECHO_TOOL] } },
    });
    const { client } = hangar;
    expect(findProcesses(marker)).toEqual([]);

    const calls = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? callTool(client, "single__pid").then((result) => ({ kind: "pid" as const, i, result }))
        : invoke(client, "single", "echo", { text: `call ${i}` }).then((result) => ({ kind: "echo" as const, i, result })),
    );
    const results = await Promise.all(calls);

    const pids = new Set<string>();
    for (const { kind, i, result } of results) {
      expect(result.isError, `call ${i}: ${textOf(result)}`).not.toBe(true);
      if (kind === "pid") pids.add(textOf(result));
      else expect(textOf(result)).toBe(`call ${i}`);
    }
    expect(pids.size).toBe(1);
    const [pid] = [...pids].map(Number);
    expect(findProcesses(marker)).toEqual([pid]);
    const info = await details(client, "single");
    expect(info.starts).toBe(1);
    expect(info.calls).toBe(50);
    // Each start logs the fixture's startup line once.
    expect(hangar.stderr().split("echo-server ready").length - 1).toBe(1);
  });

  it("stops an idle provider after idle_ttl_s, keeps its tools listed, and starts a new process on the next call", async () => {
    const marker = e2e.marker();
    let listChanged = 0;
    const hangar = await e2e.start(
      { providers: { idle: { command: fixtureCommand("echo-server.js", marker), idle_ttl_s: 1, tools: [PID_TOOL] } } },
      {
        beforeConnect: (client) => {
          client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            listChanged += 1;
          });
        },
      },
    );
    const { client } = hangar;

    const first = Number(textOf(await callTool(client, "idle__pid")));
    expect(isRunning(first)).toBe(true);
    // The call went out before the provider's own list (its predefined tool stood in); the list follows.
    const listedWhileRunning = await eventually(async () => {
      const listed = (await client.listTools()).tools.map((tool) => tool.name);
      return listed.includes("idle__slow") && listed;
    }, 5_000, "the provider's own tools listed");
    expect(listedWhileRunning).toEqual(expect.arrayContaining(["idle__pid", "idle__echo", "idle__slow"]));

    await waitForExit(first, 5_000);
    await waitForNoProcesses(marker, 2_000);
    const info = await eventually(
      async () => {
        const view = await details(client, "idle");
        return view.state === "COLD" ? view : undefined;
      },
      3_000,
      "registry_details to say COLD",
    );
    expect(info.pid).toBeUndefined();
    expect(info.last_error).toBeUndefined();

    // Nothing a client sees changes with an idle stop: the live tools stay listed.
    const listedWhileCold = (await client.listTools()).tools.map((tool) => tool.name);
    expect(listedWhileCold).toEqual(listedWhileRunning);

    const second = Number(textOf(await callTool(client, "idle__pid")));
    expect(second).not.toBe(first);
    expect(findProcesses(marker)).toEqual([second]);
    expect((await details(client, "idle")).starts).toBe(2);
    // One tools/list_changed when the live tools first replaced the predefined one; the stop and
    // the restart with the same tools changed nothing the client sees. (A ping orders the check
    // after any notification the hangar might have sent before answering it.)
    await client.ping();
    expect(listChanged).toBe(1);
  });

  it("never idle-stops a provider while a call is in flight", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { busy: { command: fixtureCommand("echo-server.js", marker), idle_ttl_s: 0.3 } } });
    const { client } = hangar;
    // Three times idle_ttl_s, with no other call in between.
    expect(textOf(await invoke(client, "busy", "slow", { ms: 900 }))).toBe("slept 900");
    const info = await details(client, "busy");
    expect(info.starts).toBe(1);
    expect(info.calls).toBe(1);
    // …and once nothing is in flight, the idle stop does happen.
    await waitForNoProcesses(marker, 5_000);
  });

  it("warm: true starts the provider with the hangar, announces its tools, then idle-stops it", async () => {
    const marker = e2e.marker();
    let listChanged = 0;
    const hangar = await e2e.start(
      { providers: { early: { command: fixtureCommand("echo-server.js", marker), warm: true, idle_ttl_s: 1 } } },
      {
        beforeConnect: (client) => {
          client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
            listChanged += 1;
          });
        },
      },
    );
    const { client } = hangar;
    const pid = await waitFor(() => findProcesses(marker)[0], 5_000, "the warm provider's process");
    await waitFor(() => listChanged > 0, 5_000, "tools/list_changed after the warm start");
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("early__echo");
    await waitForExit(pid, 5_000);
    expect((await details(client, "early")).state).toBe("COLD");
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("early__echo");
  });
});

