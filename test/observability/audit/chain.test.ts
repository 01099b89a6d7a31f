import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CHAIN_VERSION, chainHash, chainHashOf, chainHashV1, GENESIS_HASH, rowContentV1, rowContentV2 } from "../../../src/observability/audit/chain.js";
import type { AuditRow } from "../../../src/observability/audit/row.js";

/**
 * The bytes the hash chain covers, pinned: every file ever written must keep verifying, so a
 * faster way of building the hashed content (or of hashing it) must give these very hashes. The
 * rows carry what is easy to get wrong by hand — non-ASCII, an astral character, quotes,
 * backslashes, a newline and a control character in the payload, nulls, a principal. Form 1's
 * hashes below were computed by the chain as it was first written (JSON.stringify of the
 * columns, SHA-256 of `prevHash\n` and that text); form 2's by its first version (2026-11-27).
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
const FIRST_HASH_V2 = "9b843bbe42e411c63c201b6aca17c6598a1237ecaf70f47b73eff9f197d73483";
const SECOND_HASH_V2 = "8e1de33e6ebdd1e5572601bdbb3a46971483a0f88c58e9ecd699af48441495e1";

describe("audit hash chain, form 1 (rows written before chain_version)", () => {
  it("hashes a known row to the hash it always had", () => {
    expect(chainHashV1(GENESIS_HASH, FIRST)).toBe(FIRST_HASH);
    expect(chainHashV1(FIRST_HASH, SECOND)).toBe(SECOND_HASH);
    expect(chainHashOf(null, FIRST_HASH, SECOND)).toBe(SECOND_HASH);
    expect(chainHashOf(1, FIRST_HASH, SECOND)).toBe(SECOND_HASH);
  });

  it("covers the previous hash, a newline and the columns as one JSON array, in a fixed order", () => {
    const content = rowContentV1(SECOND);
    expect(content).toBe(
      '[1790000000123,"2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b",8,"/etc/hangar.yaml","provider:math","ToolInvocationCompleted",null,null,"alice","{}"]',
    );
    expect(chainHashV1(FIRST_HASH, SECOND)).toBe(createHash("sha256").update(`${FIRST_HASH}\n${content}`, "utf8").digest("hex"));
  });
});

describe("audit hash chain, form 2 (the rows written now)", () => {
  it("hashes a known row to the hash it had when form 2 was made", () => {
    expect(CHAIN_VERSION).toBe(2);
    expect(chainHash(GENESIS_HASH, FIRST)).toBe(FIRST_HASH_V2);
    expect(chainHash(FIRST_HASH_V2, SECOND)).toBe(SECOND_HASH_V2);
    expect(chainHashOf(2, FIRST_HASH_V2, SECOND)).toBe(SECOND_HASH_V2);
  });

  it("covers the previous hash, a newline, ts and seq, each string column as its length and text (null as -), and the payload as stored", () => {
    const content = rowContentV2(SECOND);
    expect(content).toBe(
      "1790000000123\n8\n36:2b1f0c1e-6a55-4c43-9d8f-0a9c6f1d2e3b\n16:/etc/hangar.yaml\n13:provider:math\n23:ToolInvocationCompleted\n-\n-\n5:alice\n{}",
    );
    expect(chainHash(FIRST_HASH_V2, SECOND)).toBe(createHash("sha256").update(`${FIRST_HASH_V2}\n${content}`, "utf8").digest("hex"));
    // The payload is neither escaped nor quoted: its quotes, backslash and control characters go as they are.
    expect(rowContentV2(FIRST).endsWith(`\n-\n${FIRST.payload}`)).toBe(true);
  });

  it("is unambiguous: text moved from one column into the next hashes differently", () => {
    // Without the lengths, "a\n1:b" + "c" and "a" + "b\n1:c"-like splits could produce the same text.
    const one = { ...SECOND, provider: "a\n1:b", correlationId: "c" };
    const other = { ...SECOND, provider: "a", correlationId: "b\n1:c" };
    expect(rowContentV2(one)).not.toBe(rowContentV2(other));
    expect(rowContentV2({ ...SECOND, principal: "-" })).not.toBe(rowContentV2({ ...SECOND, principal: null }));
    expect(rowContentV2({ ...SECOND, principal: "x", payload: "{}" })).not.toBe(rowContentV2({ ...SECOND, principal: "x\n{}", payload: "" }));
  });

  it("knows no other form", () => {
    expect(chainHashOf(3, FIRST_HASH_V2, SECOND)).toBeUndefined();
    expect(chainHashOf("2", FIRST_HASH_V2, SECOND)).toBeUndefined();
  });
});
