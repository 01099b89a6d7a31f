import { looksLikeSecretKey, redactor, type Redactor } from "../shared/redaction.js";

/**
 * The secrets registry: everything in a config that is or may be a credential is registered
 * with the one shared redactor, which then masks it wherever text leaves the hangar (logs, error
 * results, registry_details, the inspector, traces, the audit trail). HTTP bearer tokens are
 * registered where they are read (transports/http/auth.ts).
 *
 * - provider `env`: values under secret-like names, and values that look like tokens or URLs with
 *   credentials (masking every value would turn `info` or `6` into *** all over the logs);
 * - remote `headers`: every value except those of plainly harmless headers, and the credential of
 *   an `Authorization: Bearer …` value on its own as well;
 * - any value under a key named like token/secret/password/key/auth/credential, anywhere.
 */

/** Headers whose values are protocol details, never credentials. */
const HARMLESS_HEADERS = new Set(["accept", "content-type", "user-agent", "mcp-protocol-version", "accept-language", "cache-control"]);
/** `Bearer abc…`, `Basic …`, `Token …`: the credential alone may appear elsewhere. */
const SCHEME_CREDENTIAL = /^[A-Za-z][A-Za-z0-9_-]*\s+(\S+)$/;

/** Registers the secrets of a validated config (the raw, snake_case form). */
export function registerConfigSecrets(raw: { providers: Record<string, object>; http?: unknown }, target: Redactor = redactor): void {
  for (const provider of Object.values(raw.providers)) {
    const { env, headers } = provider as { env?: unknown; headers?: unknown };
    if (isStringMap(env)) target.registerAll(env);
    if (isStringMap(headers)) registerHeaders(headers, target);
  }
  // http.auth names where tokens live (a variable's name, a file's path), never a token itself.
  registerSecretLike({ ...raw, http: undefined }, undefined, target);
}

/** Registers the credential values of HTTP headers (remote providers, health probes). */
export function registerHeaders(headers: Readonly<Record<string, string>>, target: Redactor = redactor): void {
  for (const [name, value] of Object.entries(headers)) {
    if (HARMLESS_HEADERS.has(name.toLowerCase())) continue;
    target.register(value);
    const credential = SCHEME_CREDENTIAL.exec(value)?.[1];
    if (credential !== undefined) target.register(credential);
  }
}

function registerSecretLike(value: unknown, key: string | undefined, target: Redactor): void {
  if (typeof value === "string") {
    if (key !== undefined && looksLikeSecretKey(key)) target.register(value);
  } else if (Array.isArray(value)) {
    for (const item of value) registerSecretLike(item, key, target);
  } else if (typeof value === "object" && value !== null) {
    for (const [innerKey, inner] of Object.entries(value)) registerSecretLike(inner, innerKey, target);
  }
}

function isStringMap(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === "string");
}
