import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureCommand, invoke, textOf, useE2E } from "../helpers/cli.js";
import { argumentsOf, auditFileBytes, readAudit } from "../helpers/audit-db.js";

/**
 * With the default `capture: hash`, no tool argument value and no configured secret reaches the
 * audit file — searched in the raw bytes of the database, its WAL and shared memory, read while
 * the hangar still runs (the WAL holds the newest rows then) and after it exits.
 */
const e2e = useE2E();

const ARGUMENT = "argument-value-7f3a9c2e";
const SECRET = "sk-live-secret-3b8d1f0a9e7c";
const TOKEN = "hangar-bearer-token-51c2e8";

describe("audit trail: privacy", () => {
  it("stores sizes and keyed hashes, never argument values or config secrets", async () => {
    const marker = e2e.marker();
    const dir = join(e2e.dir(), `audit-${marker}`);
    const hangar = await e2e.start(
      {
        providers: {
          // The provider echoes its argument back, and its env carries secrets the config names.
          echo: { command: fixtureCommand("echo-server.js", marker), env: { API_KEY: SECRET, TOKEN_FROM_ENV: "${HANGAR_TEST_TOKEN}" } },
        },
        audit: { path: join(dir, "audit.db") },
      },
      { env: { HANGAR_TEST_TOKEN: TOKEN } },
    );
    expect(textOf(await invoke(hangar.client, "echo", "echo", { text: ARGUMENT }))).toBe(ARGUMENT);
    // A failed call whose error message carries the argument.
    await invoke(hangar.client, "echo", "no_such_tool_on_provider", { text: ARGUMENT }).catch(() => undefined);
    const whileRunning = await (async () => {
      // Wait for the batch, then read the files as they are (WAL not yet checkpointed).
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const events = readAudit(join(dir, "audit.db"), { type: "ToolInvocationCompleted" });
        if (events.length > 0) return auditFileBytes(dir);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error("the call's events never reached the audit file");
    })();
    await hangar.close();
    const afterExit = auditFileBytes(dir);

    for (const bytes of [whileRunning, afterExit]) {
      expect(bytes).not.toContain(ARGUMENT);
      expect(bytes).not.toContain(SECRET);
      expect(bytes).not.toContain(TOKEN);
    }
    const stored = readAudit(join(dir, "audit.db"), { type: "ToolInvocation*" });
    const [completed] = stored.filter((event) => event.type === "ToolInvocationCompleted");
    const captured = (completed === undefined ? undefined : argumentsOf(stored, completed)) as { bytes: number; hmac: string } | undefined;
    expect(captured?.bytes).toBe(JSON.stringify({ text: ARGUMENT }).length);
    expect(captured?.hmac).toMatch(/^[0-9a-f]{64}$/);
    expect((completed?.data.result as { hmac?: string } | undefined)?.hmac).toMatch(/^[0-9a-f]{64}$/);
    // The key beside the file is the owner's alone, and so is the file.
    expect(statSync(join(dir, "audit.db.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "audit.db")).mode & 0o777).toBe(0o600);
  });
});
