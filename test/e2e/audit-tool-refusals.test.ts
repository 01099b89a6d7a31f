import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditFileBytes, readAudit } from "../helpers/audit-db.js";
import { callOutcome } from "../helpers/call-outcome.js";
import { fixtureCommand } from "../helpers/cli.js";
import { useHttpE2E } from "../helpers/http.js";

/**
 * A provider-tool call the security controls refuse — arguments its schema refuses, a tool outside
 * the principal's allow_tools, a rate limit — never
 * becomes a call of the provider, so no request carries its arguments to the audit trail: the
 * refusal does. Each leaves a row (ToolInvocationFailed, kind rejected, stage refused) with the
 * arguments as given, captured per audit.capture (hash, the default: size and keyed hash). Real
 * hangar over HTTP, real tokens, real SQLite file.
 */
const e2e = useHttpE2E();

const ALICE_TOKEN = "alice-token-tool-refusals-51c7";
const ARGUMENT = "refused-tool-argument-9e3f0b21";

describe("audit trail: refused provider-tool calls", () => {
  it("keep the arguments of every refusal, captured per audit.capture", async () => {
    const dir = join(e2e.dir(), `audit-${e2e.marker()}`);
    const hangar = await e2e.startHttp(
      {
        http: { auth: { tokens_env: "HANGAR_TOKENS", principals: { alice: { allow_tools: ["open__echo", "open__slow"] } } } },
        providers: {
          open: {
            command: fixtureCommand("echo-server.js", e2e.marker()),
            tools_rate_limit: { slow: { rps: 0.01, burst: 1 } },
            tools: [
              { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } },
              { name: "env", inputSchema: { type: "object", properties: { name: { type: "string" } } } },
              { name: "slow", inputSchema: { type: "object", properties: { ms: { type: "number" } } } },
            ],
          },
        },
        audit: { path: join(dir, "audit.db"), batch_ms: 20 },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${ALICE_TOKEN}` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;
    const call = callOutcome(alice);

    const invalid = { text: 5, note: ARGUMENT };
    expect(await call("open__echo", invalid)).toMatch(/^isError: invalid arguments for tool 'echo' of provider 'open'/);
    expect(await call("open__env", { name: ARGUMENT })).toMatch(/^error: .*not available to principal 'alice'/);
    expect(await call("open__slow", { ms: 1 })).toBe("ok: slept 1");
    expect(await call("open__slow", { ms: 2, why: ARGUMENT })).toMatch(/^error: .*rate limit/i);
    expect(await hangar.stop()).toMatchObject({ code: 0 });

    const refused = readAudit(join(dir, "audit.db"), { type: "ToolInvocationFailed" }).filter((event) => event.data.stage === "refused");
    expect(refused.map((event) => [event.provider, event.data.tool, event.data.refusal, event.principal])).toEqual([
      ["open", "echo", "invalid_arguments", "alice"],
      ["open", "env", "not_allowed", "alice"],
      ["open", "slow", "rate_limited_tool", "alice"],
    ]);
    for (const event of refused) expect(event.data.arguments).toEqual({ bytes: expect.any(Number) as number, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect((refused[0]?.data.arguments as { bytes: number }).bytes).toBe(JSON.stringify(invalid).length);
    expect(auditFileBytes(dir)).not.toContain(ARGUMENT);
  });
});
