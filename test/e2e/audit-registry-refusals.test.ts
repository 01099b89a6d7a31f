import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditFileBytes, readAudit } from "../helpers/audit-db.js";
import { callOutcome } from "../helpers/call-outcome.js";
import { fixtureCommand } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";

/**
 * A registry tool call refused for its arguments — no provider, an unknown one, wrong types, a
 * tool its provider's live list lacks, a provider the caller may not reach — leaves the trace a
 * refused provider-tool call leaves: an audit row (ToolInvocationFailed, kind rejected, stage
 * refused) with the provider as the arguments named it and the arguments captured per
 * audit.capture, and a count in mcp_hangar_calls_refused_total. Real hangar over HTTP, real
 * tokens, real SQLite file.
 */
const e2e = useHttpE2E();

const ALICE_TOKEN = "alice-token-registry-refusals-8d21";
const ARGUMENT = "refused-argument-value-4c9e1a7b";

describe("audit trail: refused registry tool calls", () => {
  it("are recorded and counted like a refused provider-tool call, whatever is wrong with their arguments", async () => {
    const dir = join(e2e.dir(), `audit-${e2e.marker()}`);
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS", principals: { alice: { deny_providers: ["secret"] } } } },
        providers: {
          open: { command: fixtureCommand("echo-server.js", e2e.marker()) },
          secret: { command: fixtureCommand("echo-server.js", e2e.marker()) },
        },
        audit: { path: join(dir, "audit.db"), batch_ms: 20 },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${ALICE_TOKEN}` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;
    const call = callOutcome(alice);

    const missing = { tool: "echo", arguments: { text: ARGUMENT } };
    expect(await call("registry_invoke", missing)).toMatch(/^isError: invalid arguments for tool 'registry_invoke'/);
    expect(await call("registry_invoke", { provider: "nope", tool: "echo", arguments: { text: ARGUMENT } })).toMatch(/^error: .*unknown provider 'nope'/);
    expect(await call("registry_invoke", { provider: "open", tool: 5 })).toMatch(/^isError: invalid arguments/);
    // Answered: the provider starts and its live list is known from here on.
    expect(await call("registry_invoke", { provider: "open", tool: "echo", arguments: { text: "hi" } })).toBe("ok: hi");
    expect(await call("registry_invoke", { provider: "open", tool: "no_such_tool" })).toMatch(/^error: .*unknown tool 'no_such_tool' of provider 'open'/);
    // A provider alice may not reach is unknown to her, as an id no config has — and recorded as not allowed.
    expect(await call("registry_details", { provider: "secret" })).toMatch(/^error: .*unknown provider 'secret'/);
    expect(await call("registry_invoke", { provider: "secret", tool: "echo", arguments: { text: ARGUMENT } })).toMatch(/^error: .*unknown provider 'secret'/);
    expect(await call("registry_details", { provider: "nope" })).toMatch(/^error: .*unknown provider 'nope'/);

    const metrics = await (await fetch(`${hangar.url}/metrics`)).text();
    // An id no config has counts under the empty provider, as the registry tools' other refusals do (bounded labels).
    expect(metrics).toContain('mcp_hangar_calls_refused_total{provider="",reason="invalid_arguments"} 3');
    expect(metrics).toContain('mcp_hangar_calls_refused_total{provider="open",reason="invalid_arguments"} 2');
    expect(metrics).toContain('mcp_hangar_calls_refused_total{provider="secret",reason="not_allowed"} 2');
    expect(await hangar.stop()).toMatchObject({ code: 0 });

    const refused = readAudit(join(dir, "audit.db"), { type: "ToolInvocationFailed" }).filter((event) => event.data.stage === "refused");
    expect(refused.map((event) => [event.provider, event.data.tool, event.data.kind, event.data.refusal, event.principal])).toEqual([
      ["", "registry_invoke", "rejected", "invalid_arguments", "alice"],
      ["nope", "nope__echo", "rejected", "invalid_arguments", "alice"],
      ["open", "registry_invoke", "rejected", "invalid_arguments", "alice"],
      ["open", "no_such_tool", "rejected", "invalid_arguments", "alice"],
      ["secret", "registry_details", "rejected", "not_allowed", "alice"],
      ["secret", "secret__echo", "rejected", "not_allowed", "alice"],
      ["nope", "registry_details", "rejected", "invalid_arguments", "alice"],
    ]);
    // The arguments as given, captured per audit.capture (hash, the default): size and keyed hash, never the value.
    for (const event of refused) expect(event.data.arguments).toEqual({ bytes: expect.any(Number) as number, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect((refused[0]?.data.arguments as { bytes: number }).bytes).toBe(JSON.stringify(missing).length);
    expect(String(refused[1]?.data.message)).toContain("unknown provider 'nope'");
    expect(auditFileBytes(dir)).not.toContain(ARGUMENT);
  });
});
