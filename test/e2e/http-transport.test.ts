import { describe, expect, it } from "vitest";
import { fixtureCommand, within } from "../helpers/cli.js";
import { INITIALIZE, rawRequest, useHttpE2E, type RawResponse } from "../helpers/http.js";
import { chunk, rawConnection, requestHead } from "../helpers/raw-http.js";

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

async function openSession(url: string): Promise<{ sessionId: string; post: (body: unknown, headers?: Record<string, string>) => Promise<RawResponse> }> {
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
  return { sessionId, post };
}

function echoCall(id: number, text: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "faulty__echo", arguments: { text } } });
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

  it("answers a tools/call whose params have the wrong shape -32602 Invalid params in words", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);
    const badArguments = await post({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "faulty__echo", arguments: "x" } });
    expect(badArguments.status).toBe(200);
    expect(JSON.parse(badArguments.body)).toEqual({ jsonrpc: "2.0", id: 2, error: { code: -32602, message: 'tools/call: params.arguments must be an object, not "x"' } });
    const noName = await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: {} });
    expect(JSON.parse(noName.body)).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32602, message: "tools/call: params.name is missing (a string)" } });
    // In the words of every other method's params (the router judges tools/call's, HangarServer the rest): one sentence, other names.
    const wrongName = await post({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: 5 } });
    const wrongUri = await post({ jsonrpc: "2.0", id: 5, method: "resources/read", params: { uri: 5 } });
    const sentence = (body: string, method: string, field: string): string => (JSON.parse(body) as { error: { message: string } }).error.message.replace(method, "METHOD").replace(field, "FIELD");
    expect(sentence(wrongName.body, "tools/call", "name")).toBe("METHOD: params.FIELD must be a string, not the number 5");
    expect(sentence(wrongUri.body, "resources/read", "uri")).toBe(sentence(wrongName.body, "tools/call", "name"));
  });

  // Changed on purpose: the SDK answered these -32603 Internal error with zod's issue list as JSON.
  it("answers other methods whose params break the method's schema -32602 Invalid params in words", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);
    const read = await post({ jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: 5 } });
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toEqual({ jsonrpc: "2.0", id: 2, error: { code: -32602, message: "resources/read: params.uri must be a string, not the number 5" } });
    const prompt = await post({ jsonrpc: "2.0", id: 3, method: "prompts/get", params: {} });
    expect(JSON.parse(prompt.body)).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32602, message: "prompts/get: params.name is missing (a string)" } });
    const level = await post({ jsonrpc: "2.0", id: 4, method: "logging/setLevel", params: { level: "verbose" } });
    expect(JSON.parse(level.body)).toMatchObject({ id: 4, error: { code: -32602, message: expect.stringMatching(/^logging\/setLevel: params\.level must be one of "debug", .*, not "verbose"$/) as unknown } });
    const list = await post({ jsonrpc: "2.0", id: 5, method: "tools/list", params: { cursor: 1 } });
    expect(JSON.parse(list.body)).toEqual({ jsonrpc: "2.0", id: 5, error: { code: -32602, message: "tools/list: params.cursor must be a string, not the number 1" } });
  });

  // Changed on purpose: a request with array params reached the SDK's Protocol, which took it for no request and never answered it.
  it("answers a request whose params are an array (JSON-RPC by position) -32602 Invalid params with its id, any method, alone or in a batch", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);
    const byPosition = (method: string): string =>
      `${method}: params must be an object, not an array — MCP's params are named (an object); JSON-RPC's by-position params (an array) are not part of MCP`;
    for (const [id, method, params] of [[2, "tools/list", []], [3, "ping", []], [4, "tools/call", ["faulty__echo", { text: "x" }]], [5, "resources/read", ["file:///x"]]] as const) {
      const answer = await within(post({ jsonrpc: "2.0", id, method, params }), 10_000, `the answer to ${method} by position`);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ jsonrpc: "2.0", id, error: { code: -32602, message: byPosition(method) } });
    }
    // Such a notification is accepted and never answered: JSON-RPC answers no notification (stdio logs it).
    const notification = await within(post({ jsonrpc: "2.0", method: "notifications/roots/list_changed", params: [] }), 10_000, "the notification's 202");
    expect({ status: notification.status, body: notification.body }).toEqual({ status: 202, body: "" });
    const batch = await within(
      post([
        { jsonrpc: "2.0", id: 6, method: "ping", params: [] },
        { jsonrpc: "2.0", id: 7, method: "ping" },
      ]),
      10_000,
      "the batch's answers",
    );
    expect((JSON.parse(batch.body) as { id: number }[]).sort((a, b) => a.id - b.id)).toEqual([
      { jsonrpc: "2.0", id: 6, error: { code: -32602, message: byPosition("ping") } },
      { jsonrpc: "2.0", id: 7, result: {} },
    ]);
  });

  // Changed on purpose: the SDK's Protocol took each of these for no request and never answered it (the POST hung).
  it("answers a request that is malformed otherwise -32600 Invalid Request with its id, saying why, as stdio does", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { post } = await openSession(hangar.url);
    const cases: [object, string][] = [
      [{ jsonrpc: "2.0", id: 2, method: "tools/list", extra: 1 }, 'Invalid Request: unexpected member "extra" (a request has only jsonrpc, id, method and params)'],
      [{ jsonrpc: "2.0", id: 3, method: "ping", params: null }, 'Invalid Request: "params" must be an object, not null'],
      [{ jsonrpc: "2.0", id: 4, method: "ping", params: { _meta: { progressToken: true } } }, 'Invalid Request: "params._meta.progressToken" must be a string or an integer, not true'],
      [{ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "faulty__echo", arguments: { text: "x" } }, extra: 1 }, 'Invalid Request: unexpected member "extra" (a request has only jsonrpc, id, method and params)'],
    ];
    for (const [request, message] of cases) {
      const answer = await within(post(request), 10_000, `the answer to ${JSON.stringify(request)}`);
      expect({ request, body: JSON.parse(answer.body) as unknown }).toEqual({ request, body: { jsonrpc: "2.0", id: (request as { id: number }).id, error: { code: -32600, message } } });
    }
    // The session serves on.
    const plain = await post({ jsonrpc: "2.0", id: 6, method: "ping" });
    expect(JSON.parse(plain.body)).toEqual({ jsonrpc: "2.0", id: 6, result: {} });
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

  it("reads a body however it arrives (chunked, pipelined, cut off), answers with a Content-Length, and refuses a body that is not JSON", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker));
    const { sessionId, post } = await openSession(hangar.url);
    const head = (headers: Record<string, string>): string =>
      requestHead("POST", "/mcp", {
        Host: new URL(hangar.url).host,
        ...INITIALIZE.headers,
        "Mcp-Session-Id": sessionId,
        "Mcp-Protocol-Version": "2025-06-18",
        ...headers,
      });
    const conn = await rawConnection(hangar.url);
    try {
      // A chunked body, its chunks in separate writes: one answer, framed by its length.
      await conn.write(head({ "Transfer-Encoding": "chunked" }));
      const call = echoCall(20, "chunked");
      await conn.write(chunk(call.slice(0, 30)));
      await conn.write(Buffer.concat([chunk(call.slice(30)), chunk("")]));
      const chunked = await conn.answer();
      expect(chunked.status).toBe(200);
      expect(chunked.headers["content-type"]).toBe("application/json");
      expect(chunked.headers["transfer-encoding"]).toBeUndefined();
      expect(Number(chunked.headers["content-length"])).toBe(Buffer.byteLength(chunked.body));
      expect(JSON.parse(chunked.body)).toEqual({ jsonrpc: "2.0", id: 20, result: { content: [{ type: "text", text: "chunked" }] } });

      // Two requests in one write on the same connection, and a notification: answered in order.
      const first = echoCall(21, "first");
      const second = echoCall(22, "sëcond");
      const notification = JSON.stringify({ jsonrpc: "2.0", method: "notifications/roots/list_changed" });
      await conn.write(
        head({ "Content-Length": String(Buffer.byteLength(first)) }) +
          first +
          head({ "Content-Length": String(Buffer.byteLength(second)) }) +
          second +
          head({ "Content-Length": String(Buffer.byteLength(notification)) }) +
          notification,
      );
      expect(JSON.parse((await conn.answer()).body)).toMatchObject({ id: 21, result: { content: [{ text: "first" }] } });
      expect(JSON.parse((await conn.answer()).body)).toMatchObject({ id: 22, result: { content: [{ text: "sëcond" }] } });
      const accepted = await conn.answer();
      expect(accepted.status).toBe(202);
      expect(accepted.headers["content-length"]).toBe("0");
    } finally {
      conn.close();
    }

    // A client that leaves in the middle of a body costs the hangar nothing.
    const leaving = await rawConnection(hangar.url);
    await leaving.write(`${head({ "Content-Length": "200" })}{"jsonrpc":"2.0",`);
    leaving.close();

    // Not JSON by its Content-Type (as the SDK's transport answers: 415), or empty: refused, the session goes on.
    const ping = { jsonrpc: "2.0", id: 23, method: "ping" };
    const text = await post(ping, { "Content-Type": "text/plain" });
    expect(text.status).toBe(415);
    expect(text.body).toContain("Content-Type must be application/json");
    const empty = await rawRequest(`${hangar.url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" },
      body: "",
    });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain("Parse error");
    expect(JSON.parse((await post({ ...ping, id: 24 }, { "Content-Type": "application/json; charset=utf-8" })).body)).toEqual({ jsonrpc: "2.0", id: 24, result: {} });
  });
});
