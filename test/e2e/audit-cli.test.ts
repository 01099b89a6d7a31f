import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, details, fixtureCommand, invoke, jsonOf, runCli, textOf, useE2E } from "../helpers/cli.js";
import { oneRowPerCall, tamper } from "../helpers/audit-db.js";

/**
 * The audit trail from the outside: `mcp-hangar audit` queries and `audit verify` through the
 * built CLI, registry_history from a running hangar, and replay — registry_details keeps its
 * counters when the hangar restarts.
 */
const e2e = useE2E();

interface JsonEvent {
  id: number;
  type: string;
  provider: string | null;
  correlationId: string | null;
  data: Record<string, unknown>;
}

function jsonLines(stdout: string): JsonEvent[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JsonEvent);
}

describe("audit trail: CLI, registry_history and replay", () => {
  it("queries by provider, type, correlation and time; verifies; registry_history; counters survive a restart", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    const config = e2e.writeConfig({
      providers: {
        echo: { command: fixtureCommand("echo-server.js", marker) },
        other: { command: fixtureCommand("echo-server.js", marker) },
      },
      audit: { path },
    });
    const first = await e2e.startWith(config);
    expect(textOf(await invoke(first.client, "echo", "echo", { text: "a" }))).toBe("a");
    expect(textOf(await invoke(first.client, "echo", "add", { a: 1, b: 2 }))).toBe("3");
    expect((await invoke(first.client, "echo", "slow", { ms: 5_000 }, 0.2)).isError).toBe(true);
    expect(textOf(await invoke(first.client, "other", "echo", { text: "b" }))).toBe("b");

    const history = jsonOf(await callTool(first.client, "registry_history", { provider: "echo" })) as {
      transitions: JsonEvent[];
      calls: JsonEvent[];
    };
    // Each call as one row (a fast call's request is folded into its answer's row, unless the batch timer fell between them).
    expect(oneRowPerCall(history.calls).map((event) => `${event.type}:${String(event.data.tool)}`)).toEqual([
      "ToolInvocationCompleted:echo",
      "ToolInvocationCompleted:add",
      "ToolInvocationFailed:slow",
    ]);
    // The timeout (0.2 s, batches of 100 ms) was in flight when its batch was written: its request is a row of its own.
    expect(history.calls.slice(-2).map((event) => event.type)).toEqual(["ToolInvocationRequested", "ToolInvocationFailed"]);
    expect(history.transitions.map((event) => event.type)).toEqual([
      "ProviderStateChanged",
      "ProviderStarted",
      "ProviderStateChanged",
    ]);
    const before = await details(first.client, "echo");
    expect(before).toMatchObject({ calls: 3, failures: 1, starts: 1 });
    await first.close();

    // Queries through the built CLI, on the file the hangar left: read-only, so they run side by side
    // (each is a process start; one after the other they were most of this test's time).
    // Eight at once share the cores with the rest of the machine: each may take longer than runCli's default 10 s.
    const audit = (...args: string[]): ReturnType<typeof runCli> => runCli(["audit", ...args], { timeoutMs: 60_000 });
    const [all, otherOnly, failedRun, callsRun, sinceRun, table, viaConfig, verified] = await Promise.all([
      audit("--db", path, "--json"),
      audit("--db", path, "--provider", "other", "--json"),
      audit("--db", path, "--type", "ToolInvocationFailed", "--json"),
      audit("--db", path, "--type", "ToolInvocation*", "--json"),
      audit("--db", path, "--since", "1h", "--json"),
      audit("--db", path, "--provider", "echo", "--type", "ToolInvocationFailed"),
      // The config names the file too.
      audit("--config", config, "--json", "--limit", "1"),
      audit("verify", "--db", path),
    ]);
    for (const run of [all, otherOnly, failedRun, callsRun, sinceRun, table, viaConfig, verified]) expect(run.code, run.stderr).toBe(0);
    const events = jsonLines(all.stdout);
    expect(events.length).toBeGreaterThan(10);
    expect(new Set(jsonLines(otherOnly.stdout).map((event) => event.provider))).toEqual(new Set(["other"]));
    const failed = jsonLines(failedRun.stdout);
    expect(failed.map((event) => event.data.kind)).toEqual(["timeout"]);
    expect(oneRowPerCall(jsonLines(callsRun.stdout))).toHaveLength(4);
    expect(jsonLines(sinceRun.stdout)).toHaveLength(events.length);
    expect(table.stdout).toMatch(/^ID\s+TIME\s+TYPE\s+PROVIDER\s+CORRELATION\s+PRINCIPAL\s+DETAILS\n/);
    expect(table.stdout).toContain("ToolInvocationFailed");
    expect(table.stdout).toContain("kind=timeout");
    expect(jsonLines(viaConfig.stdout)).toHaveLength(1);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/ok — \d+ rows, the hash chain is intact/);
    const oneCall = jsonLines((await audit("--db", path, "--correlation", failed[0]?.correlationId ?? "?", "--json")).stdout);
    expect(oneCall.map((event) => event.type)).toEqual(["ToolInvocationRequested", "ToolInvocationFailed"]);

    // Replay: a new hangar on the same config shows the same counters before any call.
    const second = await e2e.startWith(config);
    expect(await details(second.client, "echo")).toMatchObject({ state: "COLD", calls: 3, failures: 1, starts: 1 });
    expect(await details(second.client, "other")).toMatchObject({ calls: 1, failures: 0 });
    const more = jsonOf(await callTool(second.client, "registry_history", { provider: "echo", limit: 2 })) as { calls: JsonEvent[] };
    expect(more.calls.map((event) => event.type)).toEqual(["ToolInvocationRequested", "ToolInvocationFailed"]);
    await second.close();

    // Tampering is found and named.
    tamper(path, "UPDATE events SET principal = 'mallory' WHERE id = 5");
    const broken = await runCli(["audit", "verify", "--db", path]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("BROKEN at row 5");
  });

  it("says plainly when there is no file, and refuses audit flags without `audit`", async () => {
    const missing = await runCli(["audit", "--db", join(e2e.dir(), "none.db")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no audit trail at");
    const stray = await runCli(["--provider", "x"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--provider applies to 'mcp-hangar audit'");
  });
});
