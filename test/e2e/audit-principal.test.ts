import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, textOf } from "../helpers/cli.js";
import { oneRowPerCall, readAudit } from "../helpers/audit-db.js";
import { useHttpE2E } from "../helpers/http.js";

/** Over HTTP with bearer tokens, the audit trail says who made each call — and never stores a token. */
const e2e = useHttpE2E();

const ALICE_TOKEN = "alice-token-audit-5f0c2e9b7a";
const ECHO_TOOL = { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } };

describe("audit trail: principals", () => {
  it("stores the authenticated principal with the call's events", async () => {
    const marker = e2e.marker();
    const dir = join(e2e.dir(), `audit-${marker}`);
    const hangar = await e2e.startHttp(
      {
        providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: [ECHO_TOOL] } },
        http: { auth: { tokens_env: "HANGAR_TOKENS" } },
        audit: { path: join(dir, "audit.db") },
      },
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HANGAR_TOKENS: `alice:${ALICE_TOKEN}` } },
    );
    const alice = (await e2e.streamable(hangar.url, { token: ALICE_TOKEN })).client;
    expect(textOf(await callTool(alice, "faulty__echo", { text: "hi" }))).toBe("hi");
    expect(await hangar.stop()).toMatchObject({ code: 0 });

    const calls = readAudit(join(dir, "audit.db"), { type: "ToolInvocation*" });
    // One row (the call was answered before its batch was written) or two; alice's either way.
    expect(oneRowPerCall(calls).map((event) => [event.type, event.principal])).toEqual([["ToolInvocationCompleted", "alice"]]);
    for (const event of calls) expect(event.principal).toBe("alice");
    const bytes = readdirSync(dir)
      .map((name) => readFileSync(join(dir, name)).toString("latin1"))
      .join("\n");
    expect(bytes).not.toContain(ALICE_TOKEN);
  });
});
