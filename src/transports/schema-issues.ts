/**
 * The issues a zod (v4) schema found in a value, in words a client (or a model) can act on: each
 * problem is a path into the value and what is wrong there ("must be a string, not the number 5",
 * "is missing (a string)", "is not expected here"). Used for request params (request-params.ts)
 * and for the registry tools' arguments (registry-tool-kit.ts) instead of zod's issue dump.
 */

/** The parts of a zod issue the words are made from. */
export interface SchemaIssue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  values?: readonly unknown[];
  keys?: readonly string[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  errors?: readonly (readonly SchemaIssue[])[];
}

export interface SchemaProblem {
  /** From the value's root: object keys and array indexes. */
  path: PropertyKey[];
  /** What is wrong there, to follow the path ("must be …", "is missing …"). */
  text: string;
  /** A key the schema does not have (a strict object's unrecognized key). */
  unknownKey?: boolean;
}

/** Each issue as one problem or more (an unrecognized key each, a union's closest alternative's own). */
export function schemaProblems(issues: readonly SchemaIssue[], root: unknown): SchemaProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, [], root));
}

/** `params.arguments.city`, `params.items[2]`, `params["odd key"]`; the root itself is `rootName`. */
export function dottedPath(path: readonly PropertyKey[], rootName: string): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) text += text === "" ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === "" ? rootName : text;
}

/** A JSON Pointer (RFC 6901), as the argument violations of provider tools name their places. */
export function pointerPath(path: readonly PropertyKey[]): string {
  return path.map((key) => `/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** An issue at `base` + its own path (an issue inside a union's alternative is relative to the union). */
function problemsOf(issue: SchemaIssue, base: readonly PropertyKey[], root: unknown): SchemaProblem[] {
  const path = [...base, ...issue.path];
  const value = valueAt(root, path);
  switch (issue.code) {
    case "invalid_type": {
      const expected = kindName(issue.expected ?? "");
      return [{ path, text: value === undefined ? `is missing (${expected})` : `must be ${expected}, not ${describeValue(value)}` }];
    }
    case "invalid_value":
      return [{ path, text: `must be ${oneOf(issue.values ?? [])}${value === undefined ? "" : `, not ${describeValue(value)}`}` }];
    case "unrecognized_keys":
      return (issue.keys ?? []).map((key) => ({ path: [...path, key], text: "is not expected here", unknownKey: true }));
    case "too_small":
    case "too_big":
      return [{ path, text: boundText(issue) }];
    case "invalid_union":
      return unionProblems(issue, path, root);
    default:
      return [{ path, text: `is not valid: ${issue.message}` }];
  }
}

/**
 * A value that matched none of a union's alternatives. Alternatives that are plain types
 * (a string or a number) are named together; otherwise the alternative the value came closest
 * to (fewest issues) speaks, and when several come equally close and all trip on the same
 * field's value (a `type` tag), that field's allowed values are named together.
 */
function unionProblems(issue: SchemaIssue, path: readonly PropertyKey[], root: unknown): SchemaProblem[] {
  const alternatives = (issue.errors ?? []).filter((issues) => issues.length > 0);
  const value = valueAt(root, path);
  if (alternatives.length === 0) return [{ path: [...path], text: `is not valid: ${issue.message}` }];
  if (alternatives.every((issues) => issues.length === 1 && issues[0]?.code === "invalid_type" && issues[0].path.length === 0)) {
    const kinds = alternatives.map((issues) => kindName(issues[0]?.expected ?? "")).join(" or ");
    return [{ path: [...path], text: value === undefined ? `is missing (${kinds})` : `must be ${kinds}, not ${describeValue(value)}` }];
  }
  const fewest = Math.min(...alternatives.map((issues) => issues.length));
  const closest = alternatives.filter((issues) => issues.length === fewest);
  const firsts = closest.map((issues) => issues[0] as SchemaIssue);
  const tag = firsts[0];
  if (closest.length > 1 && tag !== undefined && firsts.every((first) => first.code === "invalid_value" && samePath(first.path, tag.path))) {
    return problemsOf({ ...tag, values: firsts.flatMap((first) => first.values ?? []) }, path, root);
  }
  return (closest[0] ?? []).flatMap((inner) => problemsOf(inner, path, root));
}

/** A number, string length or item count out of its bounds. */
function boundText(issue: SchemaIssue): string {
  const small = issue.code === "too_small";
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case "number":
    case "int":
    case "bigint":
      if (small) return inclusive ? `must be at least ${bound}` : `must be greater than ${bound}`;
      return inclusive ? `must be at most ${bound}` : `must be less than ${bound}`;
    case "string":
      if (small && bound === 1) return "must not be empty";
      return `must be ${small ? "at least" : "at most"} ${bound} characters long`;
    case "array":
    case "set":
      if (small && bound === 1) return "must not be empty";
      return `must have ${small ? "at least" : "at most"} ${bound} items`;
    default:
      return `is not valid: ${issue.message}`;
  }
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
    case "record":
      return "an object";
    case "array":
    case "tuple":
      return "an array";
    case "int":
    case "integer":
      return "an integer";
    case "string":
    case "number":
    case "boolean":
      return `a ${expected}`;
    default:
      return expected === "" ? "another type" : expected;
  }
}

/** What was sent instead: its type, and short strings, numbers and booleans as they are. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return value.length <= 40 ? JSON.stringify(value) : "a longer string";
  if (typeof value === "number") return `the number ${String(value)}`;
  if (typeof value === "boolean") return `the boolean ${String(value)}`;
  return `a ${typeof value}`;
}

function oneOf(values: readonly unknown[]): string {
  const texts = values.map((value) => JSON.stringify(value));
  return texts.length === 1 ? (texts[0] ?? "") : `one of ${texts.join(", ")}`;
}
