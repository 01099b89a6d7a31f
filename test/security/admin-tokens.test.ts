import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseDigestFile, parseTokenList, TokenAuthenticator } from "../../src/transports/http/auth.js";
import { redactor } from "../../src/shared/redaction.js";

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("admin role on token entries", () => {
  it("reads name:token:admin from the environment, the role never part of the token", () => {
    const entries = parseTokenList("alice:a-token-1,root:r-token-2:admin, ci:c:with:colons", "$HANGAR_TOKENS");
    expect(entries.map((entry) => [entry.name, entry.roles])).toEqual([
      ["alice", []],
      ["root", ["admin"]],
      ["ci", []],
    ]);
    const auth = TokenAuthenticator.fromSpec({ tokensEnv: "T", tokensFile: undefined }, { T: "alice:a-token-1,root:r-token-2:admin" });
    expect(auth?.authenticate("Bearer r-token-2")).toEqual({ ok: true, principal: "root", roles: ["admin"] });
    expect(auth?.authenticate("Bearer r-token-2:admin")).toEqual({ ok: false, reason: "invalid" });
    expect(auth?.authenticate("Bearer a-token-1")).toEqual({ ok: true, principal: "alice", roles: [] });
    // Both the token and the entry's text are secrets.
    expect(redactor.redact("r-token-2 and r-token-2:admin")).toBe("*** and ***");
  });

  it("reads name:sha256hex:admin lines from a tokens file", () => {
    const entries = parseDigestFile(`alice:${sha256("a")}\nroot:${sha256("r")}:admin\n`, "tokens.txt");
    expect(entries.map((entry) => [entry.name, entry.roles])).toEqual([
      ["alice", []],
      ["root", ["admin"]],
    ]);
    expect(() => parseDigestFile(`root:${sha256("r")}:superuser\n`, "tokens.txt")).toThrow(/tokens.txt:1: the digest of 'root' must be 64 hex digits/);
  });
});
