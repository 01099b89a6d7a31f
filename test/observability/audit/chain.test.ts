import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH, rowContent } from "../../../src/observability/audit/chain.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";

/**
 * The bytes the hash chain covers, pinned: every file ever written must keep verifying, so a
 * faster way of building the hashed content (or of hashing it) must give these very hashes. The
 * rows carry what is easy to get wrong by hand — non-ASCII, an astral character, quotes,
 * backslashes, a newline and a control character in the payload, nulls, a principal — and the
 * hashes below were computed by the chain as it was first written (JSON.stringify of the
 * columns, SHA-256 of `prevHash\n` and that text).
 */
const FIRST: AuditRow = {
  ts: 1_790_000_000_123,
  instance: "2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b",
  seq: 7,
  source: "/etc/hangar.yaml",
  systemId: "provider:math",
  type: "ToolInvocationCompleted",
  provider: "math",
  correlationId: "0190a0b0-1234-7abc-8def-000000000007",
  principal: null,
  payload: JSON.stringify({ tool: "add", kind: "ok", text: 'é😀"\\\n\u0001' }),
};
const SECOND: AuditRow = { ...FIRST, seq: 8, principal: "alice", provider: null, correlationId: null, payload: "{}" };

const FIRST_HASH = "fadadbd36bd2a0e6ded9246a0332fe01c214be741ac28807567798decfad897a";
const SECOND_HASH = "c678aec9c57435b4327de35dfdbaaf54795cff294bb22f99923326b63a63e799";

describe("audit hash chain", () => {
  it("hashes a known row to the hash it always had", () => {
    expect(chainHash(GENESIS_HASH, FIRST)).toBe(FIRST_HASH);
    expect(chainHash(FIRST_HASH, SECOND)).toBe(SECOND_HASH);
  });

  it("covers the previous hash, a newline and the columns as one JSON array, in a fixed order", () => {
    const content = rowContent(SECOND);
    expect(content).toBe(
      '[1790000000123,"2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b",8,"/etc/hangar.yaml","provider:math","ToolInvocationCompleted",null,null,"alice","{}"]',
    );
    expect(chainHash(FIRST_HASH, SECOND)).toBe(createHash("sha256").update(`${FIRST_HASH}\n${content}`, "utf8").digest("hex"));
  });
});
