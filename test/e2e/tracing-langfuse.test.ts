import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixtureCommand } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";
import { startReceiver, type ReceivedSpan, type Receiver } from "../helpers/otlp-receiver.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Langfuse through its real SDK: the built hangar (HTTP front end, bearer tokens, so calls have a
 * user) exports to a local HTTP server standing in for the Langfuse host, which keeps the OTLP
 * export and the score batches exactly as the SDK sent them.
 */
const e2e = useHttpE2E();
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

const ALICE_TOKEN = "alice-token-9c1e44d0b2";
const PUBLIC_KEY = "pk-lf-test-1234";
const SECRET_KEY = "sk-lf-test-5678-secret";
/** An argument value that must never reach Langfuse unless capture_inputs is on. */
const ARGUMENT_VALUE = "argument-value-4f9a2c71";
const PASSWORD = "hunter2-password-value";

const rawResult = z.custom<{ content: { type: string; text?: string }[] }>((value) => typeof value === "object" && value !== null);

function config(marker: string, langfuseHost: string, langfuse: Record<string, unknown> = {}) {
  return {
    providers: {
      meta: { command: fixtureCommand("meta-server.js", marker), tools: [{ name: "meta" }, { name: "echo" }, { name: "fail" }] },
    },
    http: { auth: { tokens_env: "HANGAR_TOKENS" } },
    observability: {
      langfuse: { enabled: true, public_key: PUBLIC_KEY, secret_key: SECRET_KEY, host: langfuseHost, ...langfuse },
    },
  };
}

const ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HANGAR_TOKENS: `alice:${ALICE_TOKEN}`,
  LANGFUSE_FLUSH_INTERVAL: "0.05",
};

async function langfuseHost(): Promise<Receiver> {
  const host = await startReceiver();
  receivers.push(host);
  return host;
}

/** The URL of a port nothing listens on: a Langfuse host that is down. */
async function downHost(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

interface ScoreEvent {
  type: string;
  body: { name: string; value: unknown; traceId?: string; observationId?: string; dataType?: string };
}

function scores(host: Receiver): ScoreEvent[] {
  return host.requests
    .filter((request) => request.path === "/api/public/ingestion")
    .flatMap((request) => (JSON.parse(request.body) as { batch: ScoreEvent[] }).batch)
    .filter((event) => event.type === "score-create");
}

describe("Langfuse", () => {
  it("receives each tool call as a tool observation with provider, tool, user and session, scored, without argument values", async () => {
    const host = await langfuseHost();
    const hangar = await e2e.startHttp(config(e2e.marker(), host.url), { env: ENV });
    const traceId = randomBytes(16).toString("hex");
    const parentId = randomBytes(8).toString("hex");
    const { client } = await e2e.streamable(hangar.url, { token: ALICE_TOKEN, headers: { traceparent: `00-${traceId}-${parentId}-01` } });
    await client.request({ method: "tools/call", params: { name: "meta__echo", arguments: { text: ARGUMENT_VALUE } } }, rawResult);

    const observation: ReceivedSpan = await host.waitForSpan((span) => span.name === "mcp.tools/call echo", "the call's observation");
    const exports = host.requests.filter((request) => request.path === "/api/public/otel/v1/traces");
    expect(exports.length).toBeGreaterThan(0);
    const basic = `Basic ${Buffer.from(`${PUBLIC_KEY}:${SECRET_KEY}`).toString("base64")}`;
    for (const request of exports) expect(request.headers.authorization).toBe(basic);

    // The HTTP traceparent header is continued.
    expect(observation.traceId).toBe(traceId);
    expect(observation.parentSpanId).toBe(parentId);
    expect(observation.attributes).toMatchObject({
      "langfuse.observation.type": "tool",
      "langfuse.observation.metadata.provider": "meta",
      "langfuse.observation.metadata.tool": "echo",
      "langfuse.observation.metadata.user": "alice",
      "user.id": "alice",
      "enduser.id": "alice",
    });
    const session = observation.attributes["session.id"];
    expect(session).toEqual(expect.any(String));
    expect(observation.attributes["langfuse.observation.metadata.session"]).toBe(session);
    expect(observation.attributes["langfuse.observation.input"]).toBeUndefined();
    expect(observation.attributes["langfuse.observation.output"]).toBeUndefined();

    // The outcome as scores on the observation.
    const scored = await waitFor(() => {
      const found = scores(host).filter((event) => event.body.observationId === observation.spanId);
      return found.length >= 2 ? found : undefined;
    }, 10_000, "the call's scores");
    const byName = Object.fromEntries(scored.map((event) => [event.body.name, event.body]));
    expect(byName.success).toMatchObject({ value: 1, dataType: "BOOLEAN", traceId });
    expect(byName.latency_ms).toMatchObject({ dataType: "NUMERIC" });
    expect(byName.error_kind).toBeUndefined();
    for (const request of host.requests.filter((r) => r.path === "/api/public/ingestion")) expect(request.headers.authorization).toBe(basic);

    // A failed call: an ERROR observation, scored as such with its kind.
    await client.request({ method: "tools/call", params: { name: "meta__fail", arguments: {} } }, rawResult);
    const failed = await host.waitForSpan((span) => span.name === "mcp.tools/call fail", "the failed call's observation");
    expect(failed.attributes).toMatchObject({ "langfuse.observation.level": "ERROR", "langfuse.observation.metadata.tool": "fail" });
    const failedScores = await waitFor(() => {
      const found = scores(host).filter((event) => event.body.observationId === failed.spanId);
      return found.length >= 3 ? found : undefined;
    }, 10_000, "the failed call's scores");
    expect(Object.fromEntries(failedScores.map((event) => [event.body.name, event.body.value]))).toMatchObject({ success: 0, error_kind: "tool_error" });

    // capture_inputs is false: the argument's value is nowhere in what Langfuse got.
    expect(host.requests.some((request) => request.body.includes(ARGUMENT_VALUE))).toBe(false);
    // And the secret key never reached the log.
    expect(hangar.stderr()).not.toContain(SECRET_KEY);
  });

  it("with the host down, calls answer and the SDK's complaints are the hangar's own log lines (JSON with --log-format json), not raw console output", async () => {
    const hangar = await e2e.startHttp(config(e2e.marker(), await downHost()), { env: ENV, args: ["--log-format", "json"] });
    const { client } = await e2e.streamable(hangar.url, { token: ALICE_TOKEN });
    const result = await client.request({ method: "tools/call", params: { name: "meta__echo", arguments: { text: "still answered" } } }, rawResult);
    expect(result.content[0]?.text).toContain("still answered");

    // The score batch (flushed every 50 ms here) fails against the closed port.
    await hangar.waitForStderr(/\[Langfuse SDK\]|"langfuse: /, 10_000);
    expect(hangar.stderr()).not.toContain("[Langfuse SDK]");
    const lines = hangar.stderr().split("\n").filter((line) => line.trim() !== "");
    const notJson = lines.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
    const complaint = lines.map((line) => JSON.parse(line) as { level?: string; msg?: string }).find((line) => line.msg?.startsWith("langfuse: ") === true);
    expect(complaint?.level).toBe("warn");
    expect(hangar.stderr()).not.toContain(SECRET_KEY);
  });

  it("with capture_inputs and capture_outputs, sends arguments and results scrubbed of secrets", async () => {
    const host = await langfuseHost();
    const hangar = await e2e.startHttp(config(e2e.marker(), host.url, { capture_inputs: true, capture_outputs: true }), { env: ENV });
    const { client } = await e2e.streamable(hangar.url, { token: ALICE_TOKEN });
    await client.request({ method: "tools/call", params: { name: "meta__echo", arguments: { text: ARGUMENT_VALUE, password: PASSWORD } } }, rawResult);

    const observation = await host.waitForSpan((span) => span.name === "mcp.tools/call echo", "the call's observation");
    const input = JSON.parse(String(observation.attributes["langfuse.observation.input"])) as Record<string, unknown>;
    expect(input).toEqual({ text: ARGUMENT_VALUE, password: "***" });
    expect(String(observation.attributes["langfuse.observation.output"])).toContain(ARGUMENT_VALUE);
    expect(host.requests.some((request) => request.body.includes(PASSWORD))).toBe(false);
  });
});
