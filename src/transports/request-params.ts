/**
 * What is wrong with a request's params, in words a client can act on, from the issues the SDK's
 * own request schema (zod) found: "resources/read: params.uri must be a string, not a number".
 * Left to the SDK, a request that fails its schema answers -32603 Internal error with zod's issue
 * list as JSON; JSON-RPC and MCP call it -32602 Invalid params (see HangarServer).
 */

/** The parts of a zod (v4) issue the words are made from. */
export interface ParamsIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  values?: readonly unknown[];
  errors?: readonly (readonly ParamsIssue[])[];
}

/** How many problems one answer names before it says "and N more". */
const PROBLEMS_SHOWN = 3;

export function paramsProblem(method: string, issues: readonly ParamsIssue[], request: unknown): string {
  const problems = issues.map((issue) => describeIssue(issue, [], request));
  const shown = problems.slice(0, PROBLEMS_SHOWN).join("; ");
  const more = problems.length > PROBLEMS_SHOWN ? ` (and ${problems.length - PROBLEMS_SHOWN} more)` : "";
  return `${method}: ${shown}${more}`;
}

/** One issue at `base` + its own path (an issue inside a union's alternative is relative to the union). */
function describeIssue(issue: ParamsIssue, base: readonly PropertyKey[], request: unknown): string {
  const path = [...base, ...issue.path];
  const where = pathText(path);
  const value = valueAt(request, path);
  switch (issue.code) {
    case "invalid_type": {
      const expected = kindName(issue.expected ?? "");
      return value === undefined ? `${where} is missing (${expected})` : `${where} must be ${expected}, not ${describeValue(value)}`;
    }
    case "invalid_value":
      return `${where} must be ${oneOf(issue.values ?? [])}${value === undefined ? "" : `, not ${describeValue(value)}`}`;
    case "invalid_union":
      return describeUnion(issue, path, request);
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * A value that matched none of a union's alternatives. Alternatives that are plain types
 * (a string or a number) are named together; otherwise the alternative the value came closest
 * to (fewest issues) speaks, and when several come equally close and all trip on the same
 * field's value (a `type` tag), that field's allowed values are named together.
 */
function describeUnion(issue: ParamsIssue, path: readonly PropertyKey[], request: unknown): string {
  const alternatives = (issue.errors ?? []).filter((issues) => issues.length > 0);
  const value = valueAt(request, path);
  if (alternatives.length === 0) return `${pathText(path)}: ${issue.message}`;
  if (alternatives.every((issues) => issues.length === 1 && issues[0]?.code === "invalid_type" && issues[0].path.length === 0)) {
    const kinds = alternatives.map((issues) => kindName(issues[0]?.expected ?? ""));
    if (value === undefined) return `${pathText(path)} is missing (${kinds.join(" or ")})`;
    return `${pathText(path)} must be ${kinds.join(" or ")}, not ${describeValue(value)}`;
  }
  const fewest = Math.min(...alternatives.map((issues) => issues.length));
  const closest = alternatives.filter((issues) => issues.length === fewest);
  const firsts = closest.map((issues) => issues[0] as ParamsIssue);
  const tag = firsts[0];
  if (closest.length > 1 && tag !== undefined && firsts.every((first) => first.code === "invalid_value" && samePath(first.path, tag.path))) {
    const merged: ParamsIssue = { ...tag, values: firsts.flatMap((first) => first.values ?? []) };
    return describeIssue(merged, path, request);
  }
  return (closest[0] ?? []).map((inner) => describeIssue(inner, path, request)).join("; ");
}

/** `params.arguments.city`, `params.items[2]`, `params["odd key"]`; the request itself is "the request". */
function pathText(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) text += text === "" ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === "" ? "the request" : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function samePath(a: readonly PropertyKey[], b: readonly PropertyKey[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index]);
}

/** zod's name of a type as a noun with its article. */
function kindName(expected: string): string {
  switch (expected) {
    case "object":
    case "array":
    case "integer":
      return `an ${expected}`;
    case "int":
      return "an integer";
    case "string":
    case "number":
    case "boolean":
      return `a ${expected}`;
    default:
      return expected === "" ? "another type" : expected;
  }
}

/** What the client sent instead: its type, and short strings, numbers and booleans as they are. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return value.length <= 40 ? JSON.stringify(value) : "a longer string";
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
  return `a ${typeof value}`;
}

function oneOf(values: readonly unknown[]): string {
  const texts = values.map((value) => JSON.stringify(value));
  if (texts.length === 1) return texts[0] ?? "";
  return `one of ${texts.join(", ")}`;
}
