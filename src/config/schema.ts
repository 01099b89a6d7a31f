import * as z from "zod";
import { closestMatch } from "./suggest.js";
import type { ConfigPath } from "./interpolate.js";

/**
 * The shape of the YAML file (snake_case, as in the Python MCP Hangar), with defaults applied,
 * and how to say in plain words what is wrong with it. Positions are load.ts's business: a
 * problem here only says which node it concerns.
 */

export const PROVIDER_MODES = ["subprocess", "container", "docker", "remote", "group"] as const;
export const EXPOSE_MODES = ["both", "registry", "tools"] as const;

const MINIMAL_CONFIG = "a minimal config is: providers: { math: { command: [node, server.js] } }";
const COMMAND_HINT =
  "expected an array of strings; a command string is refused because no shell is used — write [node, server.js]";
const PROVIDER_ID = /^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/;
/** Joins provider and tool ids into flat tool names (`math__add`). */
const FLAT_NAME_SEPARATOR = "__";

/** For a file with no YAML content at all, where there is no node to validate. */
export function emptyConfigMessage(): string {
  return `the config is empty — ${MINIMAL_CONFIG}`;
}

// MCP requires tool schemas to describe an object; a missing `type` is filled in rather than
// refused because it is the only sensible value.
const jsonObjectSchema = z.looseObject({
  type: z.literal("object").default("object"),
  properties: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  required: z.array(z.string()).optional(),
});

// Free-form apart from the hints MCP defines, whose types clients rely on.
const annotationsSchema = z.looseObject({
  title: z.string().optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});

const toolSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  inputSchema: jsonObjectSchema.default({ type: "object" }),
  outputSchema: jsonObjectSchema.optional(),
  annotations: annotationsSchema.optional(),
});

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;

// Interpolated values are always strings, so `idle_ttl_s: ${TTL:-300}` has to be able to mean 300.
// A quoted literal ("300") is accepted the same way; text that is not a number still fails.
function numeric<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === "string" && NUMERIC.test(value.trim()) ? Number(value) : value),
    schema,
  );
}

function flag(fallback: boolean) {
  return z
    .preprocess(
      (value) => (typeof value === "string" && BOOLEAN.test(value.trim()) ? value.trim().toLowerCase() === "true" : value),
      z.boolean(),
    )
    .default(fallback);
}

const positiveSeconds = (fallback: number) => numeric(z.number().positive()).default(fallback);

const providerSchema = z.strictObject({
  mode: z
    .enum(PROVIDER_MODES)
    .default("subprocess")
    .transform((mode, ctx) => {
      if (mode === "subprocess") return mode;
      ctx.issues.push({
        code: "custom",
        input: mode,
        message: `mode "${mode}" is not yet supported; only "subprocess" runs in this version`,
      });
      return z.NEVER;
    }),
  command: z
    .array(z.string(), {
      error: (issue) => (typeof issue.input === "string" ? COMMAND_HINT : undefined),
    })
    .min(1, { error: "must not be empty — write [node, server.js]" }),
  env: z
    .record(
      z.string(),
      z
        .union([z.string(), z.number(), z.boolean()], {
          error: "expected a string (numbers and booleans are turned into strings)",
        })
        .transform(String),
    )
    .superRefine(
      (env, ctx) => {
        for (const name of Object.keys(env)) {
          if (name === "" || name.includes("=") || name.includes("\0")) {
            ctx.addIssue({
              code: "custom",
              path: [name],
              params: { at: "key" },
              message: `'${name}' is not a usable environment variable name (it must be non-empty and contain no '=')`,
            });
          }
        }
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .default({}),
  inherit_env: flag(false),
  cwd: z.string().min(1).optional(),
  // 0 is allowed here and means "never stop for idleness".
  idle_ttl_s: numeric(z.number().nonnegative()).default(300),
  health_check_interval_s: positiveSeconds(60),
  // Not `.int()`: its issue is marked non-continuable, which silently skips the provider-id and
  // duplicate-name checks above it, and a report should hold every problem.
  max_consecutive_failures: numeric(
    z
      .number()
      .positive()
      .refine(Number.isInteger, { error: "must be a whole number" }),
  ).default(3),
  startup_timeout_s: positiveSeconds(30),
  call_timeout_s: positiveSeconds(30),
  shutdown_grace_s: positiveSeconds(5),
  tools: z
    .array(toolSchema)
    .superRefine(
      (tools, ctx) => {
        const seen = new Map<string, number>();
        tools.forEach((tool: unknown, index) => {
          const name = isRecord(tool) ? tool.name : undefined;
          if (typeof name !== "string") return;
          const first = seen.get(name);
          if (first === undefined) seen.set(name, index);
          else {
            ctx.addIssue({
              code: "custom",
              path: [index, "name"],
              message: `duplicate tool name '${name}' (already defined by tools[${first}])`,
            });
          }
        });
      },
      // Runs even when some entries are invalid, so duplicates show up in the same report.
      { when: (payload) => Array.isArray(payload.value) },
    )
    .default([]),
  warm: flag(false),
  description: z.string().optional(),
});

const providersSchema = z
  .record(z.string(), providerSchema, {
    error: (issue) =>
      issue.code === "invalid_type" && (issue.input === undefined || issue.input === null)
        ? `no providers defined — ${MINIMAL_CONFIG}`
        : undefined,
  })
  .superRefine(
    (providers, ctx) => {
      const ids = Object.keys(providers);
      if (ids.length === 0) ctx.addIssue({ code: "custom", message: `no providers defined — ${MINIMAL_CONFIG}` });
      for (const id of ids) {
        const message = providerIdProblem(id);
        if (message !== undefined) ctx.addIssue({ code: "custom", path: [id], params: { at: "key" }, message });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );

export const configSchema = z.strictObject(
  {
    expose: z.enum(EXPOSE_MODES).default("both"),
    providers: providersSchema,
  },
  {
    error: (issue) =>
      issue.code === "invalid_type" ? `expected a mapping at the top level — ${MINIMAL_CONFIG}` : undefined,
  },
);

export type RawConfig = z.output<typeof configSchema>;
export type RawProvider = z.output<typeof providerSchema>;
export type RawTool = z.output<typeof toolSchema>;

function providerIdProblem(id: string): string | undefined {
  if (!PROVIDER_ID.test(id)) {
    return `provider id '${id}' is invalid: it must start with a letter and contain only letters, digits, '_' and '-' (at most 64 characters), because it becomes part of every tool name`;
  }
  if (id.includes(FLAT_NAME_SEPARATOR)) {
    return `provider id '${id}' must not contain '${FLAT_NAME_SEPARATOR}': tools are exposed as '<provider>${FLAT_NAME_SEPARATOR}<tool>', so the id would make those names ambiguous`;
  }
  return undefined;
}

/** What a problem points at: the value at `path`, the key naming it, or the map missing it. */
export type ProblemTarget = "value" | "key" | "parent";

export interface SchemaProblem {
  /** Full path of the concerned node (for a missing key: the key that is missing). */
  path: ConfigPath;
  target: ProblemTarget;
  message: string;
}

export type Validation = { ok: true; value: RawConfig } | { ok: false; problems: SchemaProblem[] };

/** Validates the interpolated YAML data; every problem is collected, not just the first. */
export function validateConfig(data: unknown): Validation {
  const result = configSchema.safeParse(data, { reportInput: true, error: describeIssue });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

/** Valid keys of the strict object at `path`, for suggestions. */
function keysAt(path: ConfigPath): readonly string[] {
  if (path.length === 2 && path[0] === "providers") return Object.keys(providerSchema.shape);
  if (path.length === 4 && path[0] === "providers" && path[2] === "tools") return Object.keys(toolSchema.shape);
  return Object.keys(configSchema.shape);
}

/**
 * The error map sees an issue before its path is complete, so a missing key's name is filled
 * in afterwards; this marker tells that message apart from one set by the schema itself.
 */
const MISSING_KEY = "\u0000missing";

function toProblems(issue: z.core.$ZodIssue): SchemaProblem[] {
  const path = issue.path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
  if (issue.code === "unrecognized_keys") {
    const valid = keysAt(path);
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, valid);
      const message =
        suggestion === undefined
          ? `unknown key '${key}'; valid keys are ${valid.join(", ")}`
          : `unknown key '${key}' — did you mean '${suggestion}'?`;
      return { path: [...path, key], target: "key", message };
    });
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    const key = path.at(-1);
    const message = issue.message === MISSING_KEY ? `missing required key '${String(key)}'` : issue.message;
    return [{ path, target: "parent", message }];
  }
  const params: unknown = issue.code === "custom" ? issue.params : undefined;
  const target: ProblemTarget = isRecord(params) && params.at === "key" ? "key" : "value";
  return [{ path, target, message: issue.message }];
}

const NOUNS: Record<string, string> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return MISSING_KEY;
      const expected = NOUNS[issue.expected] ?? issue.expected;
      const got = describeValue(issue.input);
      const hint =
        issue.expected === "string" && (typeof issue.input === "number" || typeof issue.input === "boolean")
          ? " (quote it to make it a string)"
          : "";
      return `expected ${expected}, got ${got}${hint}`;
    }
    case "too_small":
      if (issue.origin === "number") {
        return issue.inclusive === true ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
      }
      return "must not be empty";
    case "invalid_value": {
      const values = issue.values.map((value) => JSON.stringify(value));
      const suggestion =
        typeof issue.input === "string"
          ? closestMatch(
              issue.input,
              issue.values.filter((value): value is string => typeof value === "string"),
            )
          : undefined;
      const expected = values.length === 1 ? `expected ${values.join("")}` : `expected one of ${values.join(", ")}`;
      return suggestion === undefined ? expected : `${expected} — did you mean "${suggestion}"?`;
    }
    case "invalid_union":
      return "has the wrong type";
    default:
      return undefined;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "nothing";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return Number.isFinite(value) ? "a number" : "an infinite number";
    case "boolean":
      return "a boolean";
    case "object":
      return "a mapping";
    default:
      return typeof value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
