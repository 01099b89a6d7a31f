import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import type { HttpAuthSpec } from "../../config/types.js";
import { ADMIN_ROLE } from "../../security/admin-gate.js";
import { redactor } from "../../shared/redaction.js";

/**
 * Bearer-token authentication for the HTTP front end. Tokens come from an environment variable
 * (`name:token,name:token`, a bare token is named `default`) and/or a file of `name:sha256hex`
 * lines; either way only their SHA-256 digests are kept, and a presented token is hashed and
 * compared with every digest in constant time. Tokens are never logged: those read from the
 * environment are registered with the redactor as well.
 */

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
/** The name of a token given without one (`HANGAR_TOKENS=s3cret`). */
export const DEFAULT_PRINCIPAL = "default";

interface TokenEntry {
  name: string;
  digest: Buffer;
  /** From a `:admin` suffix on the entry (`name:token:admin`, `name:sha256hex:admin`). */
  roles: readonly string[];
}

/** Roles a token entry may carry as a last `:role` field. */
const ROLES: ReadonlySet<string> = new Set([ADMIN_ROLE]);

/** `secret:admin` → the secret and its roles; a last field that is no role stays part of the secret. */
function splitRoles(value: string): { secret: string; roles: string[] } {
  const colon = value.lastIndexOf(":");
  const role = colon === -1 ? undefined : value.slice(colon + 1).trim();
  if (role === undefined || !ROLES.has(role)) return { secret: value, roles: [] };
  return { secret: value.slice(0, colon).trim(), roles: [role] };
}

/** Why the configured tokens cannot be used; the hangar refuses to start. */
export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
}

/** How a request's credentials went: the principal's name, or why there is none. */
export type AuthResult = { ok: true; principal: string; roles: readonly string[] } | { ok: false; reason: "missing" | "invalid" };

export class TokenAuthenticator {
  private constructor(private readonly entries: readonly TokenEntry[]) {}

  /** The authenticator for `http.auth`, or undefined when no token source is configured. */
  static fromSpec(
    spec: HttpAuthSpec,
    env: NodeJS.ProcessEnv,
    readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
  ): TokenAuthenticator | undefined {
    if (spec.tokensEnv === undefined && spec.tokensFile === undefined) return undefined;
    const entries: TokenEntry[] = [];
    if (spec.tokensEnv !== undefined) {
      const value = env[spec.tokensEnv];
      if (value === undefined || value.trim() === "") {
        throw new AuthConfigError(
          `http.auth.tokens_env names $${spec.tokensEnv}, which is not set or empty; set it to name:token pairs separated by commas`,
        );
      }
      entries.push(...parseTokenList(value, `$${spec.tokensEnv}`));
    }
    if (spec.tokensFile !== undefined) {
      let text: string;
      try {
        text = readFile(spec.tokensFile);
      } catch (error) {
        const reason = error instanceof Error && "code" in error && error.code === "ENOENT" ? "file not found" : String(error);
        throw new AuthConfigError(`http.auth.tokens_file: cannot read ${spec.tokensFile}: ${reason}`);
      }
      entries.push(...parseDigestFile(text, spec.tokensFile));
    }
    if (entries.length === 0) throw new AuthConfigError("http.auth is configured but holds no tokens");
    return new TokenAuthenticator(entries);
  }

  /** For tests and embedders: name → token pairs, and the roles of some names. */
  static fromTokens(tokens: Record<string, string>, roles: Record<string, readonly string[]> = {}): TokenAuthenticator {
    return new TokenAuthenticator(Object.entries(tokens).map(([name, token]) => ({ name, digest: sha256(token), roles: roles[name] ?? [] })));
  }

  /** The principals' names (for the start-up log: names only, never tokens). */
  names(): string[] {
    return [...new Set(this.entries.map((entry) => entry.name))];
  }

  /** Checks an `Authorization` header. Every digest is compared, so timing says nothing about which one matched. */
  authenticate(authorization: string | undefined): AuthResult {
    if (authorization === undefined || authorization === "") return { ok: false, reason: "missing" };
    const match = BEARER.exec(authorization);
    if (match?.[1] === undefined) return { ok: false, reason: "invalid" };
    const presented = sha256(match[1]);
    let matched: TokenEntry | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(presented, entry.digest) && matched === undefined) matched = entry;
    }
    return matched === undefined ? { ok: false, reason: "invalid" } : { ok: true, principal: matched.name, roles: matched.roles };
  }
}

/** `name:token,name:token` (a bare token is named `default`); `where` names the source in errors. */
export function parseTokenList(value: string, where: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  value.split(",").forEach((item, index) => {
    const trimmed = item.trim();
    if (trimmed === "") return;
    const colon = trimmed.indexOf(":");
    const name = colon === -1 ? DEFAULT_PRINCIPAL : trimmed.slice(0, colon).trim();
    const rest = colon === -1 ? trimmed : trimmed.slice(colon + 1).trim();
    // Registered before any check can fail, so not even an error message can show it.
    redactor.register(rest);
    const { secret: token, roles } = splitRoles(rest);
    redactor.register(token);
    if (!PRINCIPAL_NAME.test(name)) {
      throw new AuthConfigError(`${where}: entry ${index + 1}: '${name}' is not a usable principal name (letters, digits, _ . @ -; at most 64)`);
    }
    if (token === "") throw new AuthConfigError(`${where}: entry ${index + 1} (${name}) has an empty token`);
    entries.push({ name, digest: sha256(token), roles });
  });
  return entries;
}

/** Lines of `name:sha256hex`; blank lines and `#` comments are skipped. */
export function parseDigestFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const where = `${file}:${index + 1}`;
    const colon = line.indexOf(":");
    if (colon === -1) throw new AuthConfigError(`${where}: expected name:sha256hex (e.g. alice:$(printf %s TOKEN | sha256sum))`);
    const name = line.slice(0, colon).trim();
    const { secret: hex, roles } = splitRoles(line.slice(colon + 1).trim());
    if (!PRINCIPAL_NAME.test(name)) {
      throw new AuthConfigError(`${where}: '${name}' is not a usable principal name (letters, digits, _ . @ -; at most 64)`);
    }
    if (!SHA256_HEX.test(hex)) throw new AuthConfigError(`${where}: the digest of '${name}' must be 64 hex digits (a SHA-256 of the token)`);
    entries.push({ name, digest: Buffer.from(hex, "hex"), roles });
  });
  return entries;
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
