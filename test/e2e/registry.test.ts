import { describe, expect, it } from "vitest";
import { callTool, details, eventually, fixtureCommand, invoke, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses, isRunning, waitForExit } from "../helpers/processes.js";

const e2e = useE2E();

interface ListedProvider {
  id: string;
  state: string;
  tools: string[];
  tools_source: string;
}

interface Health {
  status: string;
  providers: number;
  byState: Record<string, number>;
  unhealthy: string[];
}

async function health(client: Parameters<typeof callTool>[0]): Promise<Health> {
  return jsonOf(await callTool(client, "registry_health")) as unknown as Health;
}

describe("registry tools", () => {
  it("registry_list, registry_details and registry_stop follow a provider's life", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        echo: { command: fixtureCommand("echo-server.js", marker), description: "the echo fixture", tools: [{ name: "echo" }] },
        other: { command: fixtureCommand("echo-server.js", marker) },
      },
    });
    const { client } = hangar;

    const listed = jsonOf(await callTool(client, "registry_list")).providers as ListedProvider[];
    expect(listed.map((p) => [p.id, p.state, p.tools])).toEqual([
      ["echo", "COLD", ["echo"]],
      ["other", "COLD", []],
    ]);
    expect(listed[0]?.tools_source).toBe("predefined");

    expect(textOf(await callTool(client, "echo__echo", { text: "hi" }))).toBe("hi");
    const running = await details(client, "echo");
    expect(running.state).toBe("READY");
    expect(running.pid).toBeTypeOf("number");
    expect(findProcesses(marker)).toEqual([running.pid]);
    expect(running.calls).toBe(1);
    expect(running.starts).toBe(1);
    expect(running.stderr_tail).toContain("echo-server ready");
    // The call went out before the provider's own list (its predefined tool stood in); the list follows.
    const learned = await eventually(async () => {
      const view = await details(client, "echo");
      return view.tools.some((tool) => tool.source === "live") && view;
    }, 5_000, "the provider's own tools listed");
    expect(learned.tools.find((tool) => tool.name === "pid")?.source).toBe("live");

    const afterStart = jsonOf(await callTool(client, "registry_list")).providers as ListedProvider[];
    expect(afterStart.map((p) => [p.id, p.state])).toEqual([
      ["echo", "READY"],
      ["other", "COLD"],
    ]);
    expect(afterStart[0]?.tools).toContain("slow");

    const stopped = jsonOf(await callTool(client, "registry_stop", { provider: "echo" }));
    expect(stopped).toEqual({ provider: "echo", state: "COLD" });
    await waitForExit(running.pid ?? -1, 5_000);
    expect(findProcesses(marker)).toEqual([]);
    const cold = await details(client, "echo");
    expect(cold.state).toBe("COLD");
    expect(cold.pid).toBeUndefined();
    expect(cold.last_error, "a manual stop is not a fault").toBeUndefined();

    // registry_stop of a provider that is not running is a no-op; of an unknown one, an error.
    expect(jsonOf(await callTool(client, "registry_stop", { provider: "other" }))).toEqual({ provider: "other", state: "COLD" });
    await expect(callTool(client, "registry_stop", { provider: "nope" })).rejects.toThrow(/unknown provider 'nope'/);
  });

  it("registry_warm starts several providers at once and reports each outcome", async () => {
    const markers = { a: e2e.marker(), b: e2e.marker(), c: e2e.marker() };
    const hangar = await e2e.start({
      providers: {
        a: { command: fixtureCommand("echo-server.js", markers.a) },
        b: { command: fixtureCommand("echo-server.js", markers.b) },
        c: { command: fixtureCommand("echo-server.js", markers.c) },
      },
    });
    const { client } = hangar;
    const warmed = jsonOf(await callTool(client, "registry_warm", { providers: ["a", "b"] })).results as {
      provider: string;
      started: boolean;
      state: string;
      tools: string[];
    }[];
    expect(warmed.map((r) => [r.provider, r.started, r.state])).toEqual([
      ["a", true, "READY"],
      ["b", true, "READY"],
    ]);
    expect(warmed[0]?.tools).toContain("echo");
    expect(findProcesses(markers.a)).toHaveLength(1);
    expect(findProcesses(markers.b)).toHaveLength(1);
    expect(findProcesses(markers.c)).toEqual([]);

    // All by default; already-running ones stay as they are.
    const pidA = findProcesses(markers.a)[0];
    const all = jsonOf(await callTool(client, "registry_warm", {})).results as { provider: string; started: boolean }[];
    expect(all.map((r) => [r.provider, r.started])).toEqual([
      ["a", true],
      ["b", true],
      ["c", true],
    ]);
    expect(findProcesses(markers.a)).toEqual([pidA]);
    expect(findProcesses(markers.c)).toHaveLength(1);
  });

  it("registry_health: healthy, then degraded after one provider fails to start; registry_status shows it", async () => {
    const markers = { good: e2e.marker(), bad: e2e.marker() };
    const hangar = await e2e.start({
      providers: {
        good: { command: fixtureCommand("echo-server.js", markers.good) },
        bad: { command: fixtureCommand("exit-on-start.js", markers.bad) },
      },
    });
    const { client } = hangar;

    const before = await health(client);
    expect(before.status).toBe("healthy");
    expect(before.providers).toBe(2);
    expect(before.byState.COLD).toBe(2);
    expect(before.unhealthy).toEqual([]);

    expect(textOf(await invoke(client, "good", "echo", { text: "ok" }))).toBe("ok");
    expect((await health(client)).status).toBe("healthy");

    const failed = await callTool(client, "registry_start", { provider: "bad" });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toContain("FATAL missing configuration FIXTURE_API_KEY");

    const after = await health(client);
    expect(after.status).toBe("degraded");
    expect(after.unhealthy).toEqual(["bad"]);
    expect(after.byState).toMatchObject({ READY: 1, COLD: 1 });

    const status = await callTool(client, "registry_status");
    expect(status.isError).not.toBe(true);
    const text = textOf(status);
    expect(text).toMatch(/^mcp-hangar: degraded — 2 providers/);
    const lines = text.split("\n");
    const goodPid = findProcesses(markers.good)[0];
    expect(lines.find((line) => line.startsWith("good"))).toMatch(new RegExp(`READY\\s+pid ${goodPid}`));
    expect(lines.find((line) => line.startsWith("bad"))).toMatch(/COLD\s+pid -.*last error: start_failed/);
  });

  it("registry_health: failing when every provider fails", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        one: { command: fixtureCommand("exit-on-start.js", marker) },
        two: { command: fixtureCommand("exit-on-start.js", marker) },
      },
    });
    const { client } = hangar;
    const warmed = jsonOf(await callTool(client, "registry_warm", {})).results as { provider: string; started: boolean; error: string }[];
    expect(warmed.map((r) => [r.provider, r.started, r.error])).toEqual([
      ["one", false, "start_failed"],
      ["two", false, "start_failed"],
    ]);
    const result = await health(client);
    expect(result.status).toBe("failing");
    expect(result.unhealthy.sort()).toEqual(["one", "two"]);
    expect(textOf(await callTool(client, "registry_status"))).toMatch(/^mcp-hangar: failing/);
    expect(isRunning(hangar.pid)).toBe(true);
  });

  // Predefined tools are a preview, not the full list: only a live tools/list is authoritative.
  it("registry_invoke reaches a tool the config did not predefine, before the provider's first start", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "pid" }] } },
    });
    const result = await invoke(hangar.client, "echo", "echo", { text: "not predefined" });
    expect(textOf(result)).toBe("not predefined");
  });

  it("registry_invoke refuses a tool the started provider does not have, naming its tools", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } });
    await callTool(hangar.client, "registry_start", { provider: "echo" });
    await expect(invoke(hangar.client, "echo", "nope")).rejects.toThrow(/unknown tool 'nope' of provider 'echo'; known tools: .*echo/);
  });
});

