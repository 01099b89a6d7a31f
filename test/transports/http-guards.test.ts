import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "../../src/cli/args.js";
import { AuthConfigError, parseDigestFile, parseTokenList, TokenAuthenticator } from "../../src/transports/http/auth.js";
import { bindRefusal, HeaderGuard, isLoopback } from "../../src/transports/http/guards.js";
import { planHttp } from "../../src/transports/http/plan.js";
import type { HttpSpec } from "../../src/config/types.js";

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

const SPEC: HttpSpec = {
  host: "127.0.0.1",
  port: 8000,
  sessionIdleS: 1800,
  maxBodyBytes: 4 * 1024 * 1024,
  allowedHosts: [],
  allowedOrigins: [],
  auth: { tokensEnv: undefined, tokensFile: undefined },
  metricsAuth: false,
};

describe("bearer tokens", () => {
  it("reads name:token pairs from the environment; a bare token is named default", () => {
    const auth = TokenAuthenticator.fromSpec({ tokensEnv: "T", tokensFile: undefined }, { T: " alice:a-token-1 , b-token-2,ci.bot@x:c:with:colons " });
    expect(auth?.names()).toEqual(["alice", "default", "ci.bot@x"]);
    expect(auth?.authenticate("Bearer a-token-1")).toEqual({ ok: true, principal: "alice", roles: [] });
    expect(auth?.authenticate("bearer b-token-2")).toEqual({ ok: true, principal: "default", roles: [] });
    expect(auth?.authenticate("Bearer c:with:colons")).toEqual({ ok: true, principal: "ci.bot@x", roles: [] });
    expect(auth?.authenticate(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(auth?.authenticate("Bearer wrong")).toEqual({ ok: false, reason: "invalid" });
    expect(auth?.authenticate("Basic YTpi")).toEqual({ ok: false, reason: "invalid" });
    expect(auth?.authenticate("Bearer a-token-1 extra")).toEqual({ ok: false, reason: "invalid" });
  });

  it("reads name:sha256 lines from a file, with positions in its errors", () => {
    const entries = parseDigestFile(`# comment\n\nalice:${sha("x-token")}\n`, "tokens.txt");
    expect(entries.map((entry) => entry.name)).toEqual(["alice"]);
    const auth = TokenAuthenticator.fromSpec({ tokensEnv: undefined, tokensFile: "/t" }, {}, () => `bob:${sha("bob-token").toUpperCase()}\n`);
    expect(auth?.authenticate("Bearer bob-token")).toEqual({ ok: true, principal: "bob", roles: [] });
    expect(() => parseDigestFile("alice:1234\n", "tokens.txt")).toThrow("tokens.txt:1: the digest of 'alice' must be 64 hex digits");
    expect(() => parseDigestFile(`\nno-colon\n`, "tokens.txt")).toThrow("tokens.txt:2: expected name:sha256hex");
    expect(() => parseDigestFile(`bad name:${sha("x")}\n`, "tokens.txt")).toThrow("'bad name' is not a usable principal name");
  });

  it("refuses unusable token sources", () => {
    expect(TokenAuthenticator.fromSpec({ tokensEnv: undefined, tokensFile: undefined }, {})).toBeUndefined();
    expect(() => TokenAuthenticator.fromSpec({ tokensEnv: "T", tokensFile: undefined }, {})).toThrow(AuthConfigError);
    expect(() => TokenAuthenticator.fromSpec({ tokensEnv: "T", tokensFile: undefined }, { T: " , " })).toThrow("holds no tokens");
    expect(() => parseTokenList("alice:", "$T")).toThrow("entry 1 (alice) has an empty token");
    const missing = (): string => {
      throw Object.assign(new Error("nope"), { code: "ENOENT" });
    };
    expect(() => TokenAuthenticator.fromSpec({ tokensEnv: undefined, tokensFile: "/none" }, {}, missing)).toThrow(
      "http.auth.tokens_file: cannot read /none: file not found",
    );
  });
});

describe("Host and Origin guard", () => {
  const guard = new HeaderGuard({ boundHost: "127.0.0.1", port: 8000, allowedHosts: ["hangar.example", "other.example:9000"], allowedOrigins: ["https://app.example"] });

  it("allows the bound address and localhost with the port, and the configured hosts", () => {
    for (const host of ["127.0.0.1:8000", "localhost:8000", "LOCALHOST:8000", "[::1]:8000", "hangar.example", "hangar.example:443", "other.example:9000"]) {
      expect(guard.check(request({ host })), host).toBeUndefined();
    }
    for (const host of ["127.0.0.1:8001", "evil.example:8000", "other.example:9001", "other.example"]) {
      expect(guard.check(request({ host }))?.status, host).toBe(403);
    }
    expect(guard.check(request({}))?.status).toBe(403);
  });

  it("allows no Origin, the hangar's own origins and the configured ones", () => {
    const host = "127.0.0.1:8000";
    for (const origin of ["http://127.0.0.1:8000", "http://localhost:8000", "https://hangar.example", "https://app.example", "https://app.example/"]) {
      expect(guard.check(request({ host, origin })), origin).toBeUndefined();
    }
    for (const origin of ["https://evil.example", "null", "file://", "http://localhost:3000", "chrome-extension://abc"]) {
      expect(guard.check(request({ host, origin }))?.status, origin).toBe(403);
    }
  });

  it("takes * for any host or origin, and knows the machine's own names when bound to a wildcard", () => {
    const open = new HeaderGuard({ boundHost: "127.0.0.1", port: 1, allowedHosts: ["*"], allowedOrigins: ["*"] });
    expect(open.check(request({ host: "anything:5", origin: "https://anywhere" }))).toBeUndefined();
    const wildcard = new HeaderGuard({ boundHost: "0.0.0.0", port: 8000, allowedHosts: [], allowedOrigins: [] });
    expect(wildcard.check(request({ host: "127.0.0.1:8000" }))).toBeUndefined();
    expect(wildcard.check(request({ host: "0.0.0.0:8000" }))).toBeUndefined();
  });

  it("knows loopback addresses, and refuses others without auth unless insecure", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) expect(isLoopback(host), host).toBe(false);
    expect(bindRefusal("127.0.0.1", false, false)).toBeUndefined();
    expect(bindRefusal("0.0.0.0", true, false)).toBeUndefined();
    expect(bindRefusal("0.0.0.0", false, true)).toBeUndefined();
    expect(bindRefusal("0.0.0.0", false, false)).toMatch(/^refusing to serve HTTP on 0\.0\.0\.0/);
  });
});

describe("planning the HTTP front end", () => {
  it("lets the command line win over the config", () => {
    const plan = planHttp(SPEC, { host: "localhost", port: 0, insecure: false }, {});
    expect(plan).toMatchObject({ ok: true, plan: { host: "localhost", port: 0, authenticator: undefined } });
    expect(planHttp(SPEC, { host: undefined, port: undefined, insecure: false }, {})).toMatchObject({ ok: true, plan: { host: "127.0.0.1", port: 8000 } });
  });

  it("refuses a public bind without tokens (exit 2) and unreadable tokens (exit 1)", () => {
    expect(planHttp({ ...SPEC, host: "0.0.0.0" }, { host: undefined, port: undefined, insecure: false }, {})).toMatchObject({ ok: false, exitCode: 2 });
    const withTokens = { ...SPEC, host: "0.0.0.0", auth: { tokensEnv: "T", tokensFile: undefined } };
    expect(planHttp(withTokens, { host: undefined, port: undefined, insecure: false }, { T: "tok-123" })).toMatchObject({ ok: true });
    expect(planHttp(withTokens, { host: undefined, port: undefined, insecure: false }, {})).toMatchObject({ ok: false, exitCode: 1 });
  });
});

describe("--http flags", () => {
  it("parses --http, --host, --port and --insecure", () => {
    expect(parseCommand(["--http", "--host", "0.0.0.0", "--port", "0", "--insecure"])).toMatchObject({
      kind: "serve",
      http: { host: "0.0.0.0", port: 0, insecure: true },
    });
    expect(parseCommand(["--http"])).toMatchObject({ http: { host: undefined, port: undefined, insecure: false } });
    expect(parseCommand([])).not.toHaveProperty("http");
  });

  it("refuses HTTP flags without --http and bad ports", () => {
    expect(() => parseCommand(["--port", "80"])).toThrow(UsageError);
    expect(() => parseCommand(["--insecure"])).toThrow("--insecure applies to the HTTP front end: add --http");
    expect(() => parseCommand(["--http", "--port", "http"])).toThrow("--port must be a port number from 0 to 65535");
    expect(() => parseCommand(["--http", "--port", "70000"])).toThrow(UsageError);
    expect(() => parseCommand(["--http", "--host", ""])).toThrow("--host needs an address");
  });
});
