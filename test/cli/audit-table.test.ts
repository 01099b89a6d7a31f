import { describe, expect, it } from "vitest";
import { formatTable } from "../../src/cli/audit-command.js";
import type { AuditEvent } from "../../src/observability/audit/query.js";

/** The `mcp-hangar audit` table: a call stored as one row shows its arguments before the clip. */
describe("audit table", () => {
  it("shows a one-row call's arguments right after its tool, ahead of the answer's fields", () => {
    const event: AuditEvent = {
      id: 7,
      time: "2026-11-27T08:00:00.000Z",
      ts: 1_795_766_400_000,
      instance: "i",
      seq: 12,
      source: "/etc/hangar.yaml",
      systemId: "provider:math",
      type: "ToolInvocationCompleted",
      provider: "math",
      correlationId: "c1",
      principal: "alice",
      data: { tool: "add", kind: "ok", durationMs: 4.1, result: { bytes: 60, hmac: "b".repeat(64) }, arguments: { bytes: 13, hmac: "a".repeat(64) } },
    };
    const [, row] = formatTable([event]).split("\n");
    expect(row).toContain(`tool=add arguments={"bytes":13,"hmac":"aaaa`);
  });
});
