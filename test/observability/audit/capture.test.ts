import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRowEncoder } from "../../../src/observability/audit/capture.js";
import type { StampedDomainEvent } from "../../../src/shared/domain-events.js";
import { Redactor } from "../../../src/shared/redaction.js";

/** What a row keeps of a call's arguments and result, per audit.capture; secrets are masked in every mode. */
const SECRET = "sk-test-0123456789abcdef";

function requested(args: Record<string, unknown>): StampedDomainEvent {
  return {
    type: "ToolInvocationRequested",
    providerId: "math",
    tool: "add",
    correlationId: "c1",
    principal: "alice",
    arguments: args,
    seq: 7,
    timestamp: 1_700_000_000_000,
    systemId: "provider:math",
  };
}

function encoder(capture: "none" | "hash" | "full", key = randomBytes(32)) {
  const redactor = new Redactor();
  redactor.register(SECRET);
  return createRowEncoder({ capture, key, redactor, instance: "i1", source: "/etc/hangar.yaml" });
}

describe("audit capture", () => {
  it("hash: size and a keyed HMAC — equal for equal arguments under one key, different under another", () => {
    const key = randomBytes(32);
    const row = encoder("hash", key).encode(requested({ a: 1, b: 2 }));
    expect(row).toMatchObject({ ts: 1_700_000_000_000, seq: 7, type: "ToolInvocationRequested", provider: "math", correlationId: "c1", principal: "alice" });
    const payload = JSON.parse(row.payload) as { tool: string; arguments: { bytes: number; hmac: string } };
    expect(payload.tool).toBe("add");
    expect(payload.arguments.bytes).toBe(JSON.stringify({ a: 1, b: 2 }).length);
    expect(encoder("hash", key).encode(requested({ a: 1, b: 2 })).payload).toBe(row.payload);
    expect(encoder("hash").encode(requested({ a: 1, b: 2 })).payload).not.toBe(row.payload);
    expect(row.payload).not.toContain('"a":1');
  });

  it("none keeps nothing of the arguments; full keeps them with secrets masked", () => {
    expect(JSON.parse(encoder("none").encode(requested({ text: "x" })).payload)).toEqual({ tool: "add" });
    const full = JSON.parse(encoder("full").encode(requested({ text: `say ${SECRET}`, api_key: "plain-value" })).payload) as {
      arguments: { bytes: number; value: Record<string, string> };
    };
    expect(full.arguments.value).toEqual({ text: "say ***", api_key: "***" });
  });

  it("masks registered secrets in any stored text, such as an error message", () => {
    const row = encoder("hash").encode({
      type: "ProviderStopped",
      providerId: "math",
      reason: "crash",
      kind: "crash",
      message: `exited: bad key ${SECRET}`,
      seq: 1,
      timestamp: 1,
      systemId: "provider:math",
    });
    expect(row.payload).not.toContain(SECRET);
    expect(JSON.parse(row.payload)).toMatchObject({ reason: "crash", message: "exited: bad key ***" });
  });
});
