import { describe, expect, it } from "vitest";
import { fixtureCommand } from "../helpers/cli.js";
import { INITIALIZE, rawRequest, useHttpE2E, type RawResponse } from "../helpers/http.js";

/**
 * The streamable HTTP transport on the wire (src/transports/http/streamable-transport.ts): what a
 * client sees when it speaks the protocol by hand.
 */
const e2e = useHttpE2E();

const ECHO_TOOL = { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } };
const PROGRESS_TOOL = { name: "progress", inputSchema: { type: "object", properties: { steps: { type: "number" }, interval_ms: { type: "number" } } } };

function config(marker: string): object {
  return { providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: [ECHO_TOOL, PROGRESS_TOOL] } } };
}

async function openSession(url: string): Promise<{ post: (body: unknown, headers?: Record<string, string>) => Promise<RawResponse> }> {
  const init = await rawRequest(`${url}/mcp`, { method: "POST", ...INITIALIZE });
  expect(init.status).toBe(200);
  expect(init.headers["content-type"]).toBe("application/json");
  const sessionId = String(init.headers["mcp-session-id"]);
  expect(JSON.parse(init.body)).toMatchObject({ jsonrpc: "2.0", id: 1, result: { serverInfo: { name: "mcp-hangar" } } });
  const post = (body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> =>
    rawRequest(`${url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18", ...headers },
      body: JSON.stringify(body),
    });
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  expect(initialized.status).toBe(202);
  return { post };
}

describe("the streamable HTTP transport", () => {
  it("answers a plain call as application/json, a batch as an array, and a call with progress as an event stream", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);

    const plain = await post({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "faulty__echo", arguments: { text: "hi" } } });
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(plain.body)).toEqual({ jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "hi" }] } });

    const batch = await post([
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "faulty__echo", arguments: { text: "a" } } },
      { jsonrpc: "2.0", id: 4, method: "ping" },
    ]);
    expect(batch.status).toBe(200);
    const answers = JSON.parse(batch.body) as { id: number }[];
    expect(answers.map((answer) => answer.id).sort()).toEqual([3, 4]);

    // A progressToken: the provider's progress comes first, so the answer turns into a stream.
    const progress = await post({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: { name: "faulty__progress", arguments: { steps: 2, interval_ms: 10 }, _meta: { progressToken: "p1" } },
    });
    expect(progress.status).toBe(200);
    expect(progress.headers["content-type"]).toBe("text/event-stream");
    const events = progress.body
      .split("\n\n")
      .filter((event) => event.startsWith("event: message"))
      .map((event) => JSON.parse(event.slice(event.indexOf("data: ") + 6)) as { method?: string; id?: number });
    expect(events.filter((event) => event.method === "notifications/progress").length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ id: 5 });
  });

  it("refuses a wrong Accept (406), an unsupported protocol version (400) and a second initialize (400)", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);
    const ping = { jsonrpc: "2.0", id: 9, method: "ping" };

    const accept = await post(ping, { Accept: "application/json" });
    expect(accept.status).toBe(406);
    expect(accept.body).toContain("Client must accept both application/json and text/event-stream");

    const version = await post(ping, { "Mcp-Protocol-Version": "1999-01-01" });
    expect(version.status).toBe(400);
    expect(version.body).toContain("Unsupported protocol version: 1999-01-01");

    const again = await post(JSON.parse(INITIALIZE.body));
    expect(again.status).toBe(400);
    expect(again.body).toContain("Server already initialized");

    const notRpc = await post({ hello: "world" });
    expect(notRpc.status).toBe(400);
    expect(notRpc.body).toContain("Invalid JSON-RPC message");

    // The session survived every refusal.
    expect(JSON.parse((await post(ping)).body)).toEqual({ jsonrpc: "2.0", id: 9, result: {} });
  });
});
