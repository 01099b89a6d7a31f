import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fromCallback } from "xstate";
import type { CallOutcome, ToolCall } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { TokenAuthenticator } from "../../src/transports/http/auth.js";
import { healthResponse, readinessResponse } from "../../src/transports/http/health.js";
import { startHttpServer, type HangarHttpServer, type HttpServerOptions } from "../../src/transports/http/server.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";
import { configureLog, log, resetLog } from "../../src/observability/log.js";
import { logDomainEvents } from "../../src/observability/log-observer.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";
import { finishCall } from "../helpers/finish-call.js";

/** Ready at once; answers every call with the principal it carried. */
const calls: ToolCall[] = [];
const principalConnection = fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
  queueMicrotask(() => {
    sendBack({ type: "CONNECTION.READY", tools: [{ name: "who", inputSchema: { type: "object" } }], pid: 1, serverInfo: undefined, protocolVersion: undefined });
  });
  receive((event) => {
    for (const call of callsOf(event)) {
      calls.push(call);
      const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [{ type: "text", text: call.principal ?? "(nobody)" }] } };
      const done = { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0, principal: call.principal } as const;
      finishCall(call, outcome, done, sendBack);
    }
  });
});

interface Fixture {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  server: HangarHttpServer;
}

const open: { fixtures: Fixture[]; clients: Client[] } = { fixtures: [], clients: [] };

async function serve(overrides: Partial<HttpServerOptions> = {}): Promise<Fixture> {
  const runtime = new HangarRuntime(
    { source: "test.yaml", expose: "both", providers: [testSpec({ id: "p", tools: [{ name: "who", inputSchema: { type: "object" } }] })] },
    { connection: principalConnection },
  ).start();
  const catalogue = new ToolCatalogue(runtime);
  const server = await startHttpServer({
    runtime,
    catalogue,
    expose: "both",
    host: "127.0.0.1",
    port: 0,
    sessionIdleS: 1800,
    maxBodyBytes: 1024 * 1024,
    allowedHosts: [],
    allowedOrigins: [],
    authenticator: undefined,
    metricsAuth: false,
    log,
    ...overrides,
  });
  const fixture = { runtime, catalogue, server };
  open.fixtures.push(fixture);
  return fixture;
}

async function streamableClient(url: string, token?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } });
  const client = new Client({ name: "unit", version: "1" }, { capabilities: {} });
  client.onerror = () => undefined;
  open.clients.push(client);
  await client.connect(transport);
  return { client, transport };
}

async function sseClient(url: string): Promise<Client> {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the legacy transport is what this tests
  const transport = new SSEClientTransport(new URL(`${url}/sse`));
  const client = new Client({ name: "unit-sse", version: "1" }, { capabilities: {} });
  open.clients.push(client);
  await client.connect(transport);
  return client;
}

function textOf(result: unknown): string {
  return (result as { content: { text: string }[] }).content[0]?.text ?? "";
}

beforeEach(() => {
  configureLog({ level: "warn" }); // session open/close lines are info
});

afterEach(async () => {
  await Promise.all(open.clients.splice(0).map((client) => client.close().catch(() => undefined)));
  for (const { server, runtime, catalogue } of open.fixtures.splice(0)) {
    await server.close();
    await runtime.shutdown();
    catalogue.close();
  }
  calls.length = 0;
  resetLog();
});

describe("HTTP server (in process)", () => {
  it("carries the authenticated principal into each call and its domain events", async () => {
    const authenticator = TokenAuthenticator.fromTokens({ alice: "alice-secret-token", bob: "bob-secret-token" });
    const { server, runtime } = await serve({ authenticator });
    const events: StampedDomainEvent[] = [];
    runtime.events.subscribe((event) => events.push(event));

    const alice = (await streamableClient(server.url, "alice-secret-token")).client;
    const bob = (await streamableClient(server.url, "bob-secret-token")).client;
    expect(textOf(await alice.callTool({ name: "p__who", arguments: {} }))).toBe("alice");
    expect(textOf(await bob.callTool({ name: "registry_invoke", arguments: { provider: "p", tool: "who" } }))).toBe("bob");
    expect(calls.map((call) => call.principal)).toEqual(["alice", "bob"]);
    const completed = events.flatMap((event) => (event.type === "ToolInvocationCompleted" ? [event.principal] : []));
    expect(completed).toEqual(["alice", "bob"]);
  });

  it("logs the principal with the call, and never a token", async () => {
    const lines: string[] = [];
    configureLog({ level: "debug", sink: (line) => lines.push(line) });
    const { server, runtime } = await serve({ authenticator: TokenAuthenticator.fromTokens({ carol: "carol-secret-token-1" }) });
    const stopLogging = logDomainEvents(runtime.events, log);
    const { client } = await streamableClient(server.url, "carol-secret-token-1");
    await client.callTool({ name: "p__who", arguments: {} });
    await waitFor(() => lines.some((line) => line.includes("call p/who by carol ok")), 2_000, "the call's log line");
    expect(lines.join("")).not.toContain("carol-secret-token-1");
    stopLogging();
  });

  it("has no principal without authentication", async () => {
    const { server } = await serve();
    const { client } = await streamableClient(server.url);
    expect(textOf(await client.callTool({ name: "p__who", arguments: {} }))).toBe("(nobody)");
  });

  it("unsubscribes a session from the catalogue when it ends: DELETE, idle expiry, SSE disconnect, shutdown", async () => {
    const { server, catalogue } = await serve({ sessionIdleS: 0.3 });
    const sessionsSeen: number[] = [];
    expect(catalogue.listenerCount).toBe(0);

    const first = await streamableClient(server.url);
    const second = await streamableClient(server.url);
    expect(catalogue.listenerCount).toBe(2);
    expect(server.sessions()).toBe(2);
    await first.transport.terminateSession();
    await waitFor(() => catalogue.listenerCount === 1, 2_000, "the deleted session to unsubscribe");

    // The other one idles out.
    await waitFor(() => catalogue.listenerCount === 0 && server.sessions() === 0, 3_000, "the idle session to expire");
    sessionsSeen.push(server.sessions());
    await second.client.close();

    const sse = await sseClient(server.url);
    await waitFor(() => catalogue.listenerCount === 1, 2_000, "the SSE session to subscribe");
    await sse.close();
    await waitFor(() => catalogue.listenerCount === 0 && server.sessions() === 0, 2_000, "the SSE session to unsubscribe");

    await streamableClient(server.url);
    await sseClient(server.url);
    expect(catalogue.listenerCount).toBe(2);
    await server.close();
    expect(catalogue.listenerCount).toBe(0);
    expect(sessionsSeen).toEqual([0]);
  });

  it("reports the number of open sessions (for the sessions gauge)", async () => {
    const counts: number[] = [];
    const { server } = await serve({ onSessionsChanged: (count) => counts.push(count) });
    const one = await streamableClient(server.url);
    await sseClient(server.url);
    await one.transport.terminateSession();
    await waitFor(() => counts.at(-1) === 1, 2_000, "the count to drop");
    expect(counts).toEqual([1, 2, 1]);
  });

  it("/health is 503 once the actor system stopped; /ready too, and while not accepting", async () => {
    const { server, runtime } = await serve();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", system: "running", providers: [{ id: "p", state: "COLD" }] });

    await runtime.shutdown();
    const stopped = await fetch(`${server.url}/health`);
    expect(stopped.status).toBe(503);
    expect(await stopped.json()).toMatchObject({ status: "unavailable", system: "stopped", providers: [{ id: "p" }] });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "not_ready", checks: { config: true, supervisor: false, http: true } });
  });

  it("health and readiness of a runtime that never started, and of one no longer accepting", () => {
    const runtime = new HangarRuntime({ source: "t.yaml", expose: "both", providers: [testSpec({ id: "p" })] }, { connection: principalConnection });
    expect(healthResponse(runtime)).toMatchObject({ status: 503, body: { system: "not_started" } });
    runtime.start();
    expect(healthResponse(runtime).status).toBe(200);
    expect(readinessResponse({ runtime, configLoaded: true, accepting: true }).status).toBe(200);
    expect(readinessResponse({ runtime, configLoaded: true, accepting: false })).toMatchObject({
      status: 503,
      body: { checks: { http: false } },
    });
    void runtime.shutdown();
    expect(healthResponse(runtime).status).toBe(503);
  });

  it("mounts metrics at their path, behind a token only with metrics_auth", async () => {
    const metrics = { contentType: "text/plain; version=0.0.4; charset=utf-8", render: () => Promise.resolve("mcp_hangar_http_sessions 0\n") };
    const authenticator = TokenAuthenticator.fromTokens({ prom: "prometheus-token-1" });
    const open = await serve({ metrics, metricsPath: "/metrics", authenticator });
    const free = await fetch(`${open.server.url}/metrics`);
    expect(free.status).toBe(200);
    expect(free.headers.get("content-type")).toBe(metrics.contentType);
    expect(await free.text()).toBe("mcp_hangar_http_sessions 0\n");

    const guarded = await serve({ metrics, metricsPath: "/custom-metrics", authenticator, metricsAuth: true });
    expect((await fetch(`${guarded.server.url}/custom-metrics`)).status).toBe(401);
    const withToken = await fetch(`${guarded.server.url}/custom-metrics`, { headers: { Authorization: "Bearer prometheus-token-1" } });
    expect(withToken.status).toBe(200);
    expect((await fetch(`${guarded.server.url}/metrics`)).status).toBe(404);
  });

  it("answers unknown paths with 404 naming the served ones, and wrong methods with 405", async () => {
    const { server } = await serve();
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain("/mcp, /sse, /messages, /health, /ready");
    const wrong = await fetch(`${server.url}/health`, { method: "POST", body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers a CORS preflight from an allowed origin", async () => {
    const { server } = await serve({ allowedOrigins: ["https://app.example"] });
    const preflight = await fetch(`${server.url}/mcp`, { method: "OPTIONS", headers: { Origin: "https://app.example" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Mcp-Session-Id");
    const foreign = await fetch(`${server.url}/mcp`, { method: "OPTIONS", headers: { Origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
  });

  it("reports a port in use clearly", async () => {
    const { server } = await serve();
    await expect(serve({ port: server.port })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
  });
});
