import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, invoke, useE2E, type RunningHangar } from "../helpers/cli.js";
import { sample, total } from "../helpers/prom-text.js";

const e2e = useE2E();

const PROMTOOL_MISSING =
  "promtool is not on PATH: apt-get install prometheus on Debian/Ubuntu (.ci/run does this), brew install prometheus on macOS";

/** The URL the hangar logged for --metrics-port. */
async function metricsUrl(hangar: RunningHangar): Promise<string> {
  const pattern = /metrics at (http:\/\/127\.0\.0\.1:(\d+)\/\S*)/;
  await hangar.waitForStderr(pattern);
  const match = pattern.exec(hangar.stderr());
  if (match?.[1] === undefined) throw new Error(`no metrics URL in the log:\n${hangar.stderr()}`);
  return match[1];
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** `promtool check metrics` on `text`: its exit code and what it said. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, output: Buffer.concat(chunks).toString("utf8") });
    });
    child.stdin.end(text);
  });
}

describe("metrics (--metrics-port)", () => {
  it("counts the calls made through a real hangar, and its /metrics passes promtool check metrics", async () => {
    expect(spawnSync("promtool", ["--version"]).error, PROMTOOL_MISSING).toBeUndefined();
    const marker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: {
          echo: { command: fixtureCommand("echo-server.js", marker) },
          broken: { command: fixtureCommand("exit-on-start.js", marker) },
          fresh: { command: fixtureCommand("echo-server.js", marker) },
          idle: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] },
        },
      },
      { args: ["--metrics-port", "0"] },
    );
    const url = await metricsUrl(hangar);

    const before = await scrape(url);
    expect(sample(before, "mcp_hangar_provider_state", { provider: "echo", state: "COLD" })).toBe(1);
    expect(total(before, "mcp_hangar_tool_calls_total")).toBe(0);

    // echo: 3 ok (one starts it), 2 ok through the flat name, 1 tool_error.
    for (let i = 0; i < 3; i++) await invoke(hangar.client, "echo", "echo", { text: `hi ${i}` });
    for (let i = 0; i < 2; i++) await callTool(hangar.client, "echo__add", { a: i, b: 1 });
    expect((await callTool(hangar.client, "echo__fail")).isError).toBe(true);
    // fresh: a tool it does not list, called before it ever ran (once it runs, the hangar refuses such names itself).
    await invoke(hangar.client, "fresh", "no_such_tool", {}).catch(() => undefined);
    // broken: its start fails, and so does the call that started it.
    expect((await invoke(hangar.client, "broken", "anything", {})).isError).toBe(true);

    const text = await scrape(url);
    const calls = (provider: string, tool: string, outcome: string) => sample(text, "mcp_hangar_tool_calls_total", { provider, tool, outcome });
    expect(calls("echo", "echo", "ok")).toBe(3);
    expect(calls("echo", "add", "ok")).toBe(2);
    expect(calls("echo", "fail", "tool_error")).toBe(1);
    expect(total(text, "mcp_hangar_tool_calls_total", { provider: "fresh", tool: "other" })).toBe(1);
    expect(text).not.toContain("no_such_tool");
    expect(calls("broken", "other", "start_failed")).toBe(1);
    expect(total(text, "mcp_hangar_tool_calls_total")).toBe(8);
    expect(sample(text, "mcp_hangar_tool_call_duration_seconds_count", { provider: "echo", tool: "echo" })).toBe(3);

    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "echo", outcome: "ok" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "broken", outcome: "start_failed" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "idle", outcome: "ok" })).toBe(0);
    expect(sample(text, "mcp_hangar_provider_cold_start_seconds_count", { provider: "echo" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "echo", state: "READY" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "broken", state: "COLD" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "idle", state: "COLD" })).toBe(1);
    expect(sample(text, "mcp_hangar_inflight_calls", { provider: "echo" })).toBe(0);
    expect(sample(text, "mcp_hangar_circuit_state", { provider: "echo" })).toBe(0);
    expect(sample(text, "mcp_hangar_http_sessions")).toBe(0);
    expect(text).toContain("process_cpu_seconds_total");

    const check = await promtoolCheck(text);
    expect(check.output).toBe("");
    expect(check.code).toBe(0);
  });

  it("serves only GET of the endpoint, on loopback, and stops with the hangar", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: { echo: { command: fixtureCommand("echo-server.js", marker) } },
        observability: { metrics: { endpoint: "/internal/prom" } },
      },
      { args: ["--metrics-port", "0"] },
    );
    const url = await metricsUrl(hangar);
    expect(new URL(url).pathname).toBe("/internal/prom");
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(new URL("/metrics", url))).status).toBe(404);
    expect((await fetch(url, { method: "POST", body: "x" })).status).toBe(405);

    await hangar.close();
    await expect(fetch(url)).rejects.toThrow();
  });

  it("warns and serves nothing when the config disables metrics", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: { echo: { command: fixtureCommand("echo-server.js", marker) } },
        observability: { metrics: { enabled: false } },
      },
      { args: ["--metrics-port", "0"] },
    );
    await hangar.waitForStderr("--metrics-port is ignored: observability.metrics.enabled is false");
    expect(hangar.stderr()).not.toMatch(/metrics at http/);
  });
});
