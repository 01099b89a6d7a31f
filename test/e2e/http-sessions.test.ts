import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, textOf } from "../helpers/cli.js";
import { INITIALIZE, rawRequest, useHttpE2E } from "../helpers/http.js";

const e2e = useHttpE2E();

const ECHO_TOOL = { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } };

function config(marker: string, http: object = {}): object {
  return { providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: [ECHO_TOOL] } }, http };
}

describe("HTTP sessions", () => {
  it("frees a session idle for session_idle_s; its client gets a clear error and can initialize again", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker, { session_idle_s: 1 }));
    const { client, transport } = await e2e.streamable(hangar.url);
    // Its standalone GET stream ends with the session: the client's retries then fail, as they should.
    client.onerror = () => undefined;
    expect(textOf(await callTool(client, "faulty__echo", { text: "before" }))).toBe("before");
    const sessionId = transport.sessionId ?? "";
    expect(sessionId).not.toBe("");

    await hangar.waitForStderr(`http session ${sessionId.slice(0, 8)} expired after 1 s without requests (0 open)`, 5_000);

    const error = await callTool(client, "faulty__echo", { text: "after" }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(404);
    expect(String(error)).toContain(`Session not found: session ${sessionId} expired after 1 s without requests`);
    expect(String(error)).toContain("send an initialize request without the Mcp-Session-Id header");

    // A new session (what a client does on 404) works at once.
    const again = await e2e.streamable(hangar.url);
    expect(again.transport.sessionId).not.toBe(sessionId);
    expect(textOf(await callTool(again.client, "faulty__echo", { text: "again" }))).toBe("again");
  });

  it("keeps a session with a call in flight past session_idle_s", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp({
      providers: {
        faulty: {
          command: fixtureCommand("faulty-server.js", marker),
          tools: [{ name: "slow", inputSchema: { type: "object", properties: { ms: { type: "number" } } } }],
        },
      },
      http: { session_idle_s: 1 },
    });
    const { client } = await e2e.streamable(hangar.url);
    client.onerror = () => undefined;
    expect(textOf(await callTool(client, "faulty__slow", { ms: 2_500 }))).toBe("slept 2500");
    expect(textOf(await callTool(client, "faulty__slow", { ms: 1 }))).toBe("slept 1");
    expect(hangar.stderr()).not.toContain("expired");
  });

  it("ends a session on DELETE; its id is refused afterwards with 404", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { client, transport } = await e2e.streamable(hangar.url);
    client.onerror = () => undefined;
    expect(textOf(await callTool(client, "faulty__echo", { text: "hello" }))).toBe("hello");
    const sessionId = transport.sessionId ?? "";
    await transport.terminateSession();
    await hangar.waitForStderr(`http session ${sessionId.slice(0, 8)} was closed by the client (DELETE) (0 open)`);

    const after = await rawRequest(`${hangar.url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
    });
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body)).toEqual({
      jsonrpc: "2.0",
      error: {
        code: -32001,
        message: `Session not found: session ${sessionId} was closed by the client (DELETE). Start a new session: send an initialize request without the Mcp-Session-Id header`,
      },
      id: null,
    });
  });

  it("asks for initialize when a request comes without a session, and names an unknown session", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const without = await rawRequest(`${hangar.url}/mcp`, { method: "POST", headers: INITIALIZE.headers, body: list });
    expect(without.status).toBe(400);
    expect(without.body).toContain("Mcp-Session-Id header is required");
    const unknown = await rawRequest(`${hangar.url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, "Mcp-Session-Id": "no-such-session" },
      body: list,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("no session no-such-session here");
    const notJson = await rawRequest(`${hangar.url}/mcp`, { method: "POST", headers: INITIALIZE.headers, body: "{oops" });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toContain("Parse error");
  });
});
