import { ConfigError } from "../config/errors.js";
import { parseConfig } from "../config/load.js";
import type { ProviderSpec } from "../config/types.js";
import type { RejectedItem } from "./source-protocol.js";

/** What a source makes of one thing it found (a pod, a container). */
export type Verdict = { kind: "provider"; spec: ProviderSpec } | { kind: "rejected"; rejected: RejectedItem } | { kind: "ignored" };

/**
 * A provider spec built from labels or annotations through the config's own schema, so a
 * discovered provider gets exactly the defaults and checks of a written one (an invalid id or
 * value is rejected, never run). Values from a cluster or an engine are data: a `${VAR}` in them
 * stays literal and never reads the hangar's environment.
 */
type FieldValue = string | number | { [key: string]: string | number };

export function discoveredSpec(id: string, fields: Record<string, FieldValue>, item: string, env: NodeJS.ProcessEnv): Verdict {
  // (A function replacement: in a replacement string `$$` would mean a single `$`.)
  const literal = (value: string | number): string | number => (typeof value === "string" ? value.replaceAll("${", () => "$${") : value);
  const literalField = (value: FieldValue): FieldValue =>
    typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, literal(inner)])) : literal(value);
  const raw = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, literalField(value)]));
  const text = JSON.stringify({ providers: { [String(literal(id))]: raw } });
  try {
    const [spec] = parseConfig(text, item, env).providers;
    if (spec === undefined) throw new Error("no provider in the generated spec");
    return { kind: "provider", spec };
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.issues.map((issue) => `${item}: ${issue.path === "" ? "" : `${issue.path}: `}${issue.message}`).join("\n") : String(error);
    return { kind: "rejected", rejected: { item, message } };
  }
}

/**
 * The `group` field of a discovered provider from its labels or annotations: the group id, and
 * its weight when given (checked by the config's schema like a written one).
 */
export function groupField(group: string | undefined, weight: string | undefined): { group?: FieldValue } {
  if (group === undefined) return {};
  return { group: weight === undefined ? group : { id: group, weight } };
}
