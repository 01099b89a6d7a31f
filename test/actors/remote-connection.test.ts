import { afterEach, describe, expect, it } from "vitest";
import { pendingTeardowns } from "../../src/actors/teardown-registry.js";
import type { RemoteProviderSpec } from "../../src/config/types.js";
import { freePort, startEverythingHttp, startSseFixture, stopRemoteServers } from "../helpers/remote-servers.js";
import { resultText, useModeRuntimes } from "../helpers/mode-runtime.js";
import { testCommonSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

const startRuntime = useModeRuntimes();

afterEach(async () => {
  await stopRemoteServers();
});

function remoteSpec(url: string, overrides: Partial<RemoteProviderSpec> = {}): RemoteProviderSpec {
  return { ...testCommonSpec(), id: "remote", mode: "remote", url, transport: undefined, headers: {}, startupTimeoutS: 10, callTimeoutS: 10, ...overrides };
}




describe("remote providers over streamable HTTP (server-everything)", () => {
  it("connects lazily, answers calls, and ends the session with DELETE on stop", async () => {
    const server = await startEverythingHttp();
    const runtime = startRuntime(remoteSpec(server.url, { transport: "streamable-http" }));
    expect(runtime.view("remote")?.state).toBe("COLD");

    expect(resultText(await runtime.invoke("remote", "echo", { message: "over http" }))).toBe("Echo: over http");
    const view = runtime.view("remote");
    expect(view?.state).toBe("READY");
    expect(view?.serverInfo?.name).toBeDefined();
    expect(view?.target).toEqual({ mode: "remote", url: server.url, transport: "streamable-http", headerNames: [] });

    await runtime.stopProvider("remote");
    await pendingTeardowns();
    expect(server.output.some((line) => line.includes("Received session termination request"))).toBe(true);
  });

  it("with predefined tools, answers the first call and learns the server's own list beside it", async () => {
    const server = await startEverythingHttp();
    const runtime = startRuntime(remoteSpec(server.url, { transport: "streamable-http", tools: [{ name: "echo", inputSchema: { type: "object" } }] }));
    expect(resultText(await runtime.invoke("remote", "echo", { message: "first" }))).toBe("Echo: first");
    const live = await waitFor(() => {
      const tools = runtime.view("remote")?.tools ?? [];
      return tools.some((tool) => tool.source === "live") && tools;
    }, 5_000, "the server's own tools");
    expect(live.map((tool) => tool.tool.name)).toEqual(expect.arrayContaining(["echo", "get-sum"]));
  });

  it("recovers transparently when a server restart loses the session: re-initializes once and repeats a safe call", async () => {
    const server = await startEverythingHttp();
    const logLines: string[] = [];
    const runtime = startRuntime(remoteSpec(server.url), logLines);
    expect(resultText(await runtime.invoke("remote", "echo", { message: "before" }))).toBe("Echo: before");

    await server.restart();
    // echo is annotated read-only: the hangar repeats it on the new session; the client sees nothing.
    expect(resultText(await runtime.invoke("remote", "echo", { message: "after" }))).toBe("Echo: after");
    const view = runtime.view("remote");
    expect(view?.state).toBe("READY");
    // Same connection (no restart by recovery), and no failure counted.
    expect(view?.stats.starts).toBe(1);
    expect(view?.stats.failures).toBe(0);
    expect(logLines.some((line) => line.includes("lost the MCP session; re-initializing"))).toBe(true);
    expect(resultText(await runtime.invoke("remote", "echo", { message: "again" }))).toBe("Echo: again");
  });

  it("does not repeat a call that is not safe to repeat after the session was lost, but serves the next one", async () => {
    const server = await startEverythingHttp();
    const runtime = startRuntime(remoteSpec(server.url));
    await runtime.startProvider("remote");
    await server.restart();

    const outcome = await runtime.invoke("remote", "toggle-subscriber-updates", {});
    expect(outcome).toMatchObject({ status: "failure", kind: "transport" });
    expect(outcome.status === "failure" ? outcome.message : "").toMatch(/not repeated because "toggle-subscriber-updates" is not marked read-only or idempotent/);
    // The session was re-initialized meanwhile: the next call goes through on it.
    expect(resultText(await runtime.invoke("remote", "echo", { message: "next" }))).toBe("Echo: next");
    expect(runtime.view("remote")?.stats.starts).toBe(1);
  });

  it("answers health probes with ping", async () => {
    const server = await startEverythingHttp();
    const runtime = startRuntime(remoteSpec(server.url, { healthCheckIntervalS: 0.2 }));
    await runtime.startProvider("remote");
    await waitFor(() => runtime.view("remote")?.health.lastProbeOk === true, 5_000, "a good probe");
  });
});

describe("remote providers over legacy SSE (fixture)", () => {
  it("falls back to SSE when the server does not speak streamable HTTP, and sends the configured headers", async () => {
    const server = await startSseFixture({ FIXTURE_REQUIRE_HEADER: "authorization:Bearer sse-secret-token-123" });
    const logLines: string[] = [];
    const runtime = startRuntime(remoteSpec(server.url, { headers: { Authorization: "Bearer sse-secret-token-123" } }), logLines);
    expect(resultText(await runtime.invoke("remote", "echo", { text: "over sse" }))).toBe("over sse");
    expect(runtime.view("remote")?.target).toMatchObject({ transport: "auto", headerNames: ["Authorization"] });
    expect(logLines.join("\n")).not.toContain("sse-secret-token-123");
  });

  it("re-initializes after a restart of the SSE server and repeats a safe call", async () => {
    const server = await startSseFixture();
    const runtime = startRuntime(remoteSpec(server.url, { transport: "sse" }));
    expect(resultText(await runtime.invoke("remote", "echo", { text: "one" }))).toBe("one");
    await server.restart();
    expect(resultText(await runtime.invoke("remote", "echo", { text: "two" }))).toBe("two");
    expect(runtime.view("remote")?.stats.starts).toBe(1);
  });
});

describe("remote provider errors", () => {
  it("says clearly when nothing listens at the URL", async () => {
    const port = await freePort();
    const runtime = startRuntime(remoteSpec(`http://127.0.0.1:${port}/mcp`));
    const result = await runtime.startProvider("remote");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).toMatch(new RegExp(`could not connect to remote provider "remote" at http://127.0.0.1:${port}/mcp: fetch failed`));
  });

  it("fails the connection when the server goes away, and recovery connects again once it is back", async () => {
    const server = await startEverythingHttp();
    const runtime = startRuntime(
      remoteSpec(server.url, {
        restart: { initialDelayS: 0.2, maxDelayS: 0.5, multiplier: 2, maxRestarts: 20, windowS: 60 },
        // The failed attempts are faults too: a breaker opened by them would leave the provider DEGRADED.
        circuitBreaker: { failureThreshold: 50, resetTimeoutS: 30, halfOpenMaxCalls: 1 },
      }),
    );
    await runtime.startProvider("remote");
    await server.stop();
    const outcome = await runtime.invoke("remote", "echo", { message: "gone" });
    expect(outcome).toMatchObject({ status: "failure", kind: "transport" });
    expect(outcome.status === "failure" ? outcome.message : "").toMatch(/cannot be reached/);

    // Reconnection attempts fail while the server is down (start_failed, retried with backoff)…
    await waitFor(() => (runtime.view("remote")?.recovery.restartCount ?? 0) >= 2, 10_000, "failed reconnection attempts");
    await server.restart();
    // …and the next one after it is back succeeds.
    await waitFor(() => runtime.view("remote")?.state === "READY", 15_000, "recovery to reconnect");
    expect(resultText(await runtime.invoke("remote", "echo", { message: "back" }))).toBe("Echo: back");
  });
});
