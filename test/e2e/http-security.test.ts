import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, runCli, textOf } from "../helpers/cli.js";
import { INITIALIZE, rawRequest, startHttpHangar, useHttpE2E } from "../helpers/http.js";

const e2e = useHttpE2E();

const ALICE_TOKEN = "alice-token-5f0c2e9b7a";
const BARE_TOKEN = "bare-token-81d4c6aa20";
const FILE_TOKEN = "file-token-0b3e77c1d9";
const PATH_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

const ECHO_TOOL = { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } };

function config(marker: string, http: object = {}): object {
  return { providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: [ECHO_TOOL] } }, http };
}

function rpcMessage(body: string): string {
  return (JSON.parse(body) as { error: { message: string } }).error.message;
}

describe("HTTP security", () => {
  it("asks for a bearer token on the MCP endpoints (401 with WWW-Authenticate), never on /health and /ready, and never logs it", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker, { auth: { tokens_env: "HANGAR_TOKENS" } }), {
      env: { ...PATH_ENV, HANGAR_TOKENS: `alice:${ALICE_TOKEN}, ${BARE_TOKEN}` },
      args: ["--log-level", "debug"],
    });

    const missing = await rawRequest(`${hangar.url}/mcp`, { method: "POST", ...INITIALIZE });
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer realm="mcp-hangar"/);
    expect(rpcMessage(missing.body)).toContain("Authorization: Bearer");

    const wrong = await rawRequest(`${hangar.url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, Authorization: "Bearer not-the-token" },
      body: INITIALIZE.body,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toContain('error="invalid_token"');

    for (const path of ["/sse", "/messages?sessionId=x"]) {
      const refused = await rawRequest(`${hangar.url}${path}`, path === "/sse" ? {} : { method: "POST", body: "{}" });
      expect(refused.status, path).toBe(401);
    }
    // The SDK clients fail to connect without a token, and with a wrong one.
    await expect(e2e.streamable(hangar.url)).rejects.toThrow(/401|Unauthorized/);
    await expect(e2e.sse(hangar.url, { token: "wrong" })).rejects.toThrow(/401|Unauthorized/);

    for (const path of ["/health", "/ready"]) expect((await rawRequest(`${hangar.url}${path}`)).status, path).toBe(200);

    // The right tokens work, over both transports; the principal goes with each call into the logs.
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;
    const bare = (await e2e.sse(hangar.url, { token: BARE_TOKEN })).client;
    expect(textOf(await callTool(alice, "faulty__echo", { text: "from alice" }))).toBe("from alice");
    expect(textOf(await callTool(bare, "faulty__echo", { text: "from default" }))).toBe("from default");
    await hangar.waitForStderr(/call faulty\/echo by alice ok/);
    await hangar.waitForStderr(/call faulty\/echo by default ok/);
    expect(hangar.stderr()).toContain("bearer tokens for alice, default");
    expect(hangar.stderr()).not.toContain(ALICE_TOKEN);
    expect(hangar.stderr()).not.toContain(BARE_TOKEN);
  });

  it("accepts tokens from a file of name:sha256 lines, and keeps a session to the principal that opened it", async () => {
    const marker = e2e.marker();
    const file = join(e2e.dir(), "tokens.txt");
    const digest = createHash("sha256").update(FILE_TOKEN).digest("hex");
    writeFileSync(file, `# principal:sha256(token)\nci-bot:${digest}\n`);
    const hangar = await e2e.startHttp(config(marker, { auth: { tokens_file: file, tokens_env: "HANGAR_TOKENS" } }), {
      env: { ...PATH_ENV, HANGAR_TOKENS: `alice:${ALICE_TOKEN}` },
    });
    const { client, transport } = await e2e.streamable(hangar.url, { token: FILE_TOKEN });
    expect(textOf(await callTool(client, "faulty__echo", { text: "from the file" }))).toBe("from the file");

    // Alice cannot use ci-bot's session: it does not exist for her.
    const sessionId = transport.sessionId ?? "";
    const stolen = await rawRequest(`${hangar.url}/mcp`, {
      method: "POST",
      headers: { ...INITIALIZE.headers, Authorization: `Bearer ${ALICE_TOKEN}`, "Mcp-Session-Id": sessionId, "Mcp-Protocol-Version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
    });
    expect(stolen.status).toBe(404);
  });

  it("refuses a foreign Host or Origin with 403 (DNS rebinding), and lets configured ones through", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      config(marker, { allowed_hosts: ["hangar.example"], allowed_origins: ["https://app.example"] }),
    );
    const port = new URL(hangar.url).port;
    const post = (headers: Record<string, string>) =>
      rawRequest(`${hangar.url}/mcp`, { method: "POST", headers: { ...INITIALIZE.headers, ...headers }, body: INITIALIZE.body });

    const foreignHost = await post({ Host: `evil.example:${port}` });
    expect(foreignHost.status).toBe(403);
    expect(rpcMessage(foreignHost.body)).toContain("Host 'evil.example");
    const rebound = await rawRequest(`${hangar.url}/health`, { headers: { Host: `attacker.test:${port}` } });
    expect(rebound.status).toBe(403);

    const foreignOrigin = await post({ Origin: "https://evil.example" });
    expect(foreignOrigin.status).toBe(403);
    expect(rpcMessage(foreignOrigin.body)).toContain("Origin 'https://evil.example'");
    expect((await post({ Origin: "null" })).status).toBe(403);

    // Allowed: the defaults (127.0.0.1 and localhost with the port), a listed host on any port, a listed origin, the hangar's own origin.
    expect((await post({})).status).toBe(200);
    expect((await post({ Host: `localhost:${port}` })).status).toBe(200);
    expect((await post({ Host: "hangar.example" })).status).toBe(200);
    const fromApp = await post({ Origin: "https://app.example" });
    expect(fromApp.status).toBe(200);
    expect(fromApp.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect((await post({ Origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it("refuses a request body over http.max_body_bytes with 413", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(config(marker, { max_body_bytes: "2KiB" }));
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { padding: "x".repeat(4096) } });
    const refused = await rawRequest(`${hangar.url}/mcp`, { method: "POST", headers: INITIALIZE.headers, body: big });
    expect(refused.status).toBe(413);
    expect(rpcMessage(refused.body)).toContain("limited to 2048 bytes");

    // Through a client: the call fails with the 413, the session stays usable for normal calls.
    const { client } = await e2e.streamable(hangar.url);
    await expect(callTool(client, "faulty__echo", { text: "y".repeat(5000) })).rejects.toThrow(/413|Payload Too Large/);
    expect(textOf(await callTool(client, "faulty__echo", { text: "small" }))).toBe("small");
  });

  it("refuses to bind a non-loopback address without authentication (exit 2) unless --insecure", async () => {
    const marker = e2e.marker();
    const file = e2e.writeConfig(config(marker));
    const refused = await runCli(["--config", file, "--http", "--host", "0.0.0.0", "--port", "0"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("refusing to serve HTTP on 0.0.0.0");
    expect(refused.stderr).toContain("http.auth");
    expect(refused.stderr).toContain("--insecure");

    const fromConfig = await runCli(["--config", e2e.writeConfig(config(marker, { host: "0.0.0.0" })), "--http", "--port", "0"]);
    expect(fromConfig.code).toBe(2);

    const insecure = await startHttpHangar(file, { args: ["--host", "0.0.0.0", "--insecure"] });
    try {
      expect(insecure.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
      const port = new URL(insecure.url).port;
      expect((await rawRequest(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      expect(await insecure.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it("refuses to start when the configured tokens cannot be read, and flags that need --http", async () => {
    const marker = e2e.marker();
    const file = e2e.writeConfig(config(marker, { auth: { tokens_env: "HANGAR_TOKENS" } }));
    const unset = await runCli(["--config", file, "--http", "--port", "0"], { env: PATH_ENV });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain("$HANGAR_TOKENS, which is not set");

    const stray = await runCli(["--config", file, "--port", "8123"]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--port applies to the HTTP front end: add --http");
  });
});
