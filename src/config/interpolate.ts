import type { Document, Scalar } from "yaml";
import { yamlLibrary } from "./yaml-library.js";

/**
 * `${VAR}` / `${VAR:-default}` substitution in string values, done on the YAML tree (not the
 * text) so a value can never inject YAML structure and every problem keeps its source position.
 */

export type ConfigPath = (string | number)[];

export interface InterpolationProblem {
  path: ConfigPath;
  /** The scalar holding the reference, for its position. */
  node: Scalar;
  message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REFERENCE = /^([^:]*)(?::-(.*))?$/s;

/** Substitutes every reference in `text`; `$${` stays a literal `${`. */
export function interpolateString(
  text: string,
  env: NodeJS.ProcessEnv,
): { value: string; problems: string[] } {
  const problems: string[] = [];
  let value = "";
  let index = 0;
  while (index < text.length) {
    const start = text.indexOf("$", index);
    if (start === -1) break;
    value += text.slice(index, start);
    if (text.startsWith("$${", start)) {
      value += "${";
      index = start + 3;
      continue;
    }
    if (!text.startsWith("${", start)) {
      // A lone `$` is ordinary text ("pa$word", "$HOME"): only the braced form is a reference.
      value += "$";
      index = start + 1;
      continue;
    }
    const end = text.indexOf("}", start + 2);
    if (end === -1) {
      problems.push(`unterminated variable reference '${text.slice(start)}'; write \${NAME} or \${NAME:-default}`);
      value += text.slice(start);
      break;
    }
    const reference = text.slice(start, end + 1);
    const match = REFERENCE.exec(text.slice(start + 2, end));
    const name = match?.[1] ?? "";
    const fallback = match?.[2];
    if (!NAME.test(name)) {
      problems.push(`malformed variable reference '${reference}'; write \${NAME} or \${NAME:-default}`);
      value += reference;
    } else {
      const set = env[name];
      // Like the shell's `:-`, an empty variable counts as unset when a default is given.
      if (fallback !== undefined && (set === undefined || set === "")) value += fallback;
      else if (set !== undefined) value += set;
      else {
        problems.push(`environment variable ${name} is not set; set it or write \${${name}:-default}`);
        value += reference;
      }
    }
    index = end + 1;
  }
  value += text.slice(index);
  return { value, problems };
}

/**
 * Interpolates every string scalar that is a value (keys are left alone) in place and returns
 * the problems found. Aliases are not followed: their anchor is interpolated where it stands.
 * Results stay strings — re-reading them as YAML would turn an env value like `0123` or a long
 * numeric token into a number and lose its text; schema.ts accepts numeric strings instead.
 */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv): InterpolationProblem[] {
  const problems: InterpolationProblem[] = [];
  visit(doc.contents, [], env, problems);
  return problems;
}

function visit(node: unknown, path: ConfigPath, env: NodeJS.ProcessEnv, problems: InterpolationProblem[]): void {
  const { isAlias, isMap, isScalar, isSeq } = yamlLibrary();
  if (isAlias(node)) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      visit(pair.value, [...path, key], env, problems);
    }
    return;
  }
  if (isSeq(node)) {
    node.items.forEach((item, index) => {
      visit(item, [...path, index], env, problems);
    });
    return;
  }
  if (!isScalar(node) || typeof node.value !== "string" || !node.value.includes("$")) return;
  const result = interpolateString(node.value, env);
  for (const message of result.problems) problems.push({ path, node, message });
  if (result.problems.length === 0) node.value = result.value;
}

/**
 * The same substitution on plain data (load.ts's quick path, which has no document): every
 * string that is a value, in place. False when a reference has a problem — the caller then
 * reads the text again with `yaml`, which reports it at its position.
 */
export function interpolateValues(data: unknown, env: NodeJS.ProcessEnv): boolean {
  if (typeof data !== "object" || data === null) return true;
  const holder = data as Record<string | number, unknown>;
  for (const key of Object.keys(holder)) {
    const value = holder[key];
    if (typeof value === "string") {
      if (!value.includes("$")) continue;
      const result = interpolateString(value, env);
      if (result.problems.length > 0) return false;
      holder[key] = result.value;
    } else if (!interpolateValues(value, env)) return false;
  }
  return true;
}
