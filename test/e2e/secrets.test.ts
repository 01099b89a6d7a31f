import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { auditFileBytes, readAudit } from "../helpers/audit-db.js";
import { EVERYTHING_JS, FIXTURES, NODE, textOf } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";
import { connectViewer, inspectorUrl } from "../helpers/inspector-viewer.js";
import { startReceiver } from "../helpers/otlp-receiver.js";
import { startEverythingHttp, stopRemoteServers } from "../helpers/remote-servers.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Secrets never leak: a config holding secrets in provider env (under secret names, under innocent
 * names, and as a password) and HTTP tokens; calls that succeed, fail, are refused, crash and fail
 * to start; then every place text leaves the hangar — its log, the results and errors clients get,
 * registry_details and the other registry tools, the inspector's messages, /metrics and the audit
 * database (raw bytes, WAL included, with `capture: full`) — is searched for the secret values.
 */
const e2e = useHttpE2E();

const API_KEY = "sk-live-api-key-7c2e91d04b";
const UPSTREAM = "tok-upstream-3f8a6d1e0c92"; // under an innocent name: masked because it looks like a token
const DB_PASSWORD = "hunter2pass"; // short, but under a secret-like key
const HANGAR_ONLY = "hangar-only-secret-5e1b07aa"; // in the hangar's environment, named by no provider
const HEADER_TOKEN = "remote-header-token-6e0a2f9c41"; // Authorization: Bearer … of a remote provider
const HEADER_KEY = "remote-x-api-key-b83d51e7"; // X-Api-Key of a remote provider
const USER_TOKEN = "user-bearer-token-91ac4e2b7d";
const ADMIN_TOKEN = "admin-bearer-token-0d5f3c8a1e";
const SECRETS = [API_KEY, UPSTREAM, DB_PASSWORD, HANGAR_ONLY, HEADER_TOKEN, HEADER_KEY, USER_TOKEN, ADMIN_TOKEN];

afterEach(stopRemoteServers);

const ECHO = join(FIXTURES, "echo-server.js");
const SECRET_ENV = { API_KEY, UPSTREAM, DB_PASSWORD };


describe("secrets", () => {
  it("never appear in logs, errors, registry tools, the inspector, metrics, traces, Langfuse or the audit trail, whatever calls, failures and crashes happen", async () => {
    const marker = e2e.marker();
    const remote = await startEverythingHttp();
    // Spans and Langfuse observations (inputs and outputs captured: the strictest setting) go here.
    const collector = await startReceiver();
    const auditDir = join(e2e.dir(), `audit-${marker}`);
    // Prints its environment on stderr before it serves: the secrets reach the stderr tail and the log.
    const leaky = ["sh", "-c", `echo "leaky env: $API_KEY $UPSTREAM $DB_PASSWORD" >&2; exec '${NODE}' '${ECHO}' --marker=${marker}`];
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS" } },
        // capture: full keeps tool arguments (masked) — the strictest place to look for a secret.
        audit: { path: join(auditDir, "audit.db"), capture: "full", batch_ms: 20 },
        observability: {
          tracing: { enabled: true, otlp_endpoint: collector.url },
          langfuse: { enabled: true, public_key: "pk-lf-secrets", secret_key: "sk-lf-secrets", host: collector.url, capture_inputs: true, capture_outputs: true },
        },
        providers: {
          leaky: {
            command: leaky,
            env: SECRET_ENV,
            tools: [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } }],
          },
          remote: { mode: "remote", url: remote.url, headers: { Authorization: `Bearer ${HEADER_TOKEN}`, "X-Api-Key": HEADER_KEY } },
          unreachable: { mode: "remote", url: "http://127.0.0.1:9/mcp", headers: { Authorization: `Bearer ${HEADER_TOKEN}` }, startup_timeout_s: 5 },
          broken: { command: ["sh", "-c", `echo "cannot start with $API_KEY" >&2; exit 1`, marker], env: SECRET_ENV, tools: [{ name: "x" }] },
        },
      },
      {
        args: ["--inspect", "0", "--log-level", "debug"],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HANGAR_TOKENS: `alice:${USER_TOKEN},root:${ADMIN_TOKEN}:admin`,
          HANGAR_ONLY,
          OTEL_BSP_SCHEDULE_DELAY: "50",
          LANGFUSE_FLUSH_INTERVAL: "0.05",
        },
      },
    );
    const viewer = await connectViewer(await inspectorUrl(hangar));
    const user = (await e2e.streamable(hangar.url, { token: USER_TOKEN })).client;
    const admin = (await e2e.streamable(hangar.url, { token: ADMIN_TOKEN })).client;
    const seen: unknown[] = [];
    const call = async (client: typeof user, name: string, args: Record<string, unknown> = {}): Promise<void> => {
      try {
        seen.push(await client.callTool({ name, arguments: args }));
      } catch (error) {
        seen.push(error instanceof Error ? `${error.name}: ${error.message} ${JSON.stringify(error)}` : String(error));
      }
    };

    await call(user, "leaky__echo", { text: "hello" });
    await call(user, "leaky__echo", { text: 42, api_key: API_KEY }); // refused: invalid arguments, a secret among them
    await call(user, "leaky__fail");
    await call(user, "leaky__rpc_error");
    await call(user, "registry_stop", { provider: "leaky" }); // refused: admin tool
    await call(user, "broken__x"); // start fails, with the secret on its stderr
    await call(user, "leaky__crash"); // the process dies mid-call
    await call(user, "registry_invoke", { provider: "remote", tool: "echo", arguments: { message: "over HTTP" } });
    await call(user, "registry_invoke", { provider: "unreachable", tool: "echo", arguments: { message: "nobody there" } });
    // The crash is seen (and logged) before the admin calls. Not "no process carries the marker": broken's
    // failed starts and leaky's restart are retried on their own backoffs, and on a loaded machine their
    // processes overlapped for 10 s.
    await hangar.waitForStderr(/provider leaky: \w+ → RECOVERING/, 10_000);
    await call(admin, "registry_start", { provider: "leaky" });
    for (const provider of ["leaky", "broken", "remote", "unreachable"]) await call(admin, "registry_details", { provider });
    await call(admin, "registry_status");
    await call(admin, "registry_list");
    await call(admin, "registry_health");
    await call(admin, "registry_tools");
    await call(admin, "registry_history", { provider: "leaky" });
    const metrics = await (await fetch(`${hangar.url}/metrics`)).text();
    await hangar.waitForStderr("leaky env:");
    await waitFor(() => viewer.messages.length > 0 || undefined, 5_000, "inspector messages");
    // The failed calls' spans were exported (their status messages are where a secret would show).
    await collector.waitForSpan((span) => span.status.code === 2, "a span of a failed call", 10_000);

    // The refusals reached the audit trail, as calls that never reached their provider.
    await waitFor(
      () => readAudit(join(auditDir, "audit.db"), { type: "ToolInvocationFailed" }).some((event) => event.data.refusal === "not_allowed") || undefined,
      5_000,
      "the refusals in the audit trail",
    );
    const refusals = readAudit(join(auditDir, "audit.db"), { type: "ToolInvocationFailed" }).filter((event) => event.data.refusal !== undefined);
    expect(refusals.map((event) => [event.data.refusal, event.data.stage])).toEqual([
      ["invalid_arguments", "refused"],
      ["not_allowed", "refused"],
    ]);

    const places: Record<string, string> = {
      log: hangar.stderr(),
      results: JSON.stringify(seen),
      inspector: viewer.messages.join("\n"),
      metrics,
      audit: auditFileBytes(auditDir),
      traces: collector.requests.map((request) => `${request.path} ${JSON.stringify(request.headers)} ${request.body}`).join("\n"),
    };
    // The hangar did see them: the provider printed them, the start failed saying so, calls ran.
    expect(places.log).toContain("leaky env: *** *** ***");
    expect(places.results).toContain("cannot start with ***");
    expect(places.results).toContain("is an admin tool");
    expect(places.results).toContain("invalid arguments for tool 'echo'");
    expect(places.results).toContain("over HTTP"); // the remote provider answered, with its headers
    // Spans reached both the OTLP collector and the Langfuse host (the same stand-in serves both).
    expect(places.traces).toContain('"name":"mcp.tools/call ');
    await waitFor(() => collector.requests.some((request) => request.path === "/api/public/otel/v1/traces") || undefined, 10_000, "a Langfuse export");
    // Refusals are counted: the invalid call against leaky, the admin tool against the registry.
    expect(metrics).toContain('mcp_hangar_calls_refused_total{provider="leaky",reason="invalid_arguments"} 1');
    expect(metrics).toContain('mcp_hangar_calls_refused_total{provider="",reason="not_allowed"} 1');
    for (const [place, text] of Object.entries(places)) {
      for (const secret of SECRETS) expect(text.includes(secret), `${place} holds ${secret}`).toBe(false);
    }
    viewer.socket.close();
    await collector.close();
  });

  it("gives a provider only its config env and the allow-list (read by server-everything's get-env)", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.startHttp(
      { providers: { everything: { command: [NODE, EVERYTHING_JS, "stdio", `--marker=${marker}`], env: { API_KEY } } } },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/tmp", LANG: "C.UTF-8", HANGAR_ONLY } },
    );
    const client = (await e2e.streamable(hangar.url)).client;
    const result = await client.callTool({ name: "registry_invoke", arguments: { provider: "everything", tool: "get-env" } });
    const env = JSON.parse(textOf(result as Parameters<typeof textOf>[0])) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(["API_KEY", "HOME", "LANG", "PATH"]);
    expect(env.API_KEY).toBe(API_KEY);
    expect(JSON.stringify(env)).not.toContain(HANGAR_ONLY);
  });
});
