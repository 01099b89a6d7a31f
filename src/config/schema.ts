import * as z from "zod";
import { BYTE_SIZE_FORMS, parseByteSize } from "./byte-size.js";
import { closestMatch } from "./suggest.js";
import { checkPassthroughNames } from "./passthrough-names.js";
import type { ConfigPath } from "./interpolate.js";
import { checkGroupMembers, checkJoinedGroups, groupSchemaOf, isGroupEntry, memberShareSchemaOf } from "./group-schema.js";
import { boolish, flag, isNumericText, isPositive, isRecord, numeric, positiveCount, positiveSeconds, wholeNumber } from "./schema-kit.js";
import { buildDiscoverySchema, hasDiscoverySources } from "./discovery-schema.js";

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

const DEFAULT_MAX_CALL_S = 600;
const DEFAULT_SHUTDOWN_TIMEOUT_S = 5;
const DEFAULT_INITIAL_DELAY_S = 1;
const DEFAULT_MAX_DELAY_S = 60;

const MIB = 1024 * 1024;

// ---- container and remote providers (mode: container | docker, mode: remote) ----

const CONTAINER_VOLUME = /^[^:]+:\/[^:]*(:(ro|rw))?$/;
const CONTAINER_VOLUME_HINT = "write a volume as host-path:/container/path with an optional :ro or :rw (./data:/data:ro)";
// Docker's own size forms (512m, 1g: 1024-based), besides the byte sizes used elsewhere.
const DOCKER_SIZE = /^(\d+)\s*([bkmg])$/i;
const DOCKER_SIZE_FACTORS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export const REMOTE_TRANSPORTS = ["streamable-http", "sse"] as const;

const MODE_KEYS = {
  subprocess: ["command", "env", "inherit_env", "cwd"],
  container: ["image", "command", "entrypoint", "env", "volumes", "network", "read_only", "resources", "user", "cap_add", "allow_sensitive_mounts"],
  remote: ["url", "transport", "headers"],
} as const satisfies Record<string, readonly string[]>;
const REQUIRED_KEY = { subprocess: "command", container: "image", remote: "url" } as const;
const ALL_MODE_KEYS = new Set<string>(Object.values(MODE_KEYS).flat());

/** A mode's required key is there, and no key of another mode is. */
function checkModeKeys(provider: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const mode = provider.mode;
  if (mode !== "subprocess" && mode !== "container" && mode !== "remote") return;
  const required = REQUIRED_KEY[mode];
  if (provider[required] === undefined) {
    ctx.addIssue({ code: "custom", path: [required], params: { at: "parent" }, message: `missing required key '${required}'` });
  }
  const own: readonly string[] = MODE_KEYS[mode];
  for (const key of Object.keys(provider)) {
    if (!ALL_MODE_KEYS.has(key) || own.includes(key) || isUnset(key, provider[key])) continue;
    const modes = Object.entries(MODE_KEYS)
      .filter(([, keys]) => (keys as readonly string[]).includes(key))
      .map(([name]) => `mode: ${name}`);
    ctx.addIssue({
      code: "custom",
      path: [key],
      params: { at: "key" },
      message: `'${key}' applies to ${modes.join(" or ")} only; this provider has mode: ${mode}`,
    });
  }
}

/** env and inherit_env have defaults, so only a value other than the default was written. */
function isUnset(key: string, value: unknown): boolean {
  if (value === undefined) return true;
  if (key === "env") return isRecord(value) && Object.keys(value).length === 0;
  return key === "inherit_env" && value === false;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

// ---- http: the HTTP front end (`mcp-hangar --http`) ----

const HTTP_HOST_HINT = "write a host name or address with an optional port (example.com, example.com:8443, [::1]:8000) or '*' — not a URL";
const HTTP_HOST_ENTRY = /^(\*|\[[0-9a-fA-F:.]+\](:\d{1,5})?|[^\s/:@[\]]+(:\d{1,5})?)$/;

function isOriginEntry(value: string): boolean {
  if (value === "*") return true;
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value.replace(/\/$/, "");
  } catch {
    return false;
  }
}

// ---- audit: the audit trail (every domain event in SQLite, hash-chained; docs/audit.md) ----

export const AUDIT_CAPTURE_MODES = ["none", "hash", "full"] as const;

// ---- stdio: the stdio front end (the default; not used with --http) ----

/** The longest drain: a client that closed stdin waits this long at most before it signals (the MCP spec's stdio shutdown). */
export const MAX_DRAIN_TIMEOUT_S = 3600;
/** How long requests in flight at stdin EOF get by default: enough for a cold start and a call or two. */
export const DEFAULT_DRAIN_TIMEOUT_S = 10;

/**
 * The config's zod schemas, built when a config is read and held only weakly (configSchemas):
 * built at start-up and kept, they and the parsers zod compiles for them on the first parse
 * stayed on the heap for good (≈ 1.3 MB with a 200-provider config, read once at start-up and
 * then only on a reload). Everything here is the shape of the file; the wording of problems is
 * further down.
 */
function buildConfigSchemas() {
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

  // Defaults of keys that are cross-checked: applied after the check, which needs to know whether
  // a value was written or defaulted to point at the right key.

  // A number of bytes, or a size with a unit (`16MiB`, `1MB`); numeric strings work as elsewhere.
  const byteSize = (fallback: number) =>
    z
      .preprocess(
        (value, ctx) => {
          if (typeof value !== "string") return value;
          if (isNumericText(value)) return Number(value);
          const bytes = parseByteSize(value);
          if (bytes !== undefined) return bytes;
          ctx.addIssue({ code: "custom", input: value, message: `'${value}' is not a size; write ${BYTE_SIZE_FORMS}` });
          return z.NEVER;
        },
        z
          .number()
          .positive()
          .refine(Number.isInteger, { error: "must be a whole number of bytes" }),
      )
      .default(fallback);

  // rate_limit: a token bucket; burst defaults to one second's worth of calls (at least 1).
  const rateLimitFields = z.strictObject({
    rps: numeric(z.number().positive()),
    burst: wholeNumber(z.number().min(1)).optional(),
  });
  const rateLimitSchema = rateLimitFields.transform(({ rps, burst }) => ({ rps, burst: burst ?? Math.max(1, Math.ceil(rps)) }));

  // allow_tools / deny_tools: tool names or globs (* and ?).
  const toolPatterns = z.array(z.string().min(1, { error: "must not be empty — write a tool name or a glob such as read_*" }));
  // allow_prompts / deny_prompts: prompt names; allow_resources / deny_resources: resource URIs (names or globs).
  const promptPatterns = z.array(z.string().min(1, { error: "must not be empty — write a prompt name or a glob such as draft_*" }));
  const resourcePatterns = z.array(z.string().min(1, { error: "must not be empty — write a resource URI or a glob such as file:///srv/*" }));
  // allow_providers / deny_providers of a principal: provider or group ids (or globs).
  const providerPatterns = z.array(z.string().min(1, { error: "must not be empty — write a provider id or a glob such as github*" }));

  const circuitBreakerSchema = z.strictObject({
    failure_threshold: positiveCount(5),
    reset_timeout_s: positiveSeconds(30),
    half_open_max_calls: positiveCount(1),
  });

  // The delays stay optional until the cross-check, so it can blame the key the user actually wrote.
  const restartFields = z.strictObject({
    initial_delay_s: numeric(z.number().positive()).optional(),
    max_delay_s: numeric(z.number().positive()).optional(),
    multiplier: numeric(z.number().min(1)).default(2),
    max_restarts: wholeNumber(z.number().nonnegative()).default(5),
    window_s: positiveSeconds(300),
  });

  const restartSchema = restartFields
    .superRefine(
      (restart, ctx) => {
        const initial = restart.initial_delay_s ?? DEFAULT_INITIAL_DELAY_S;
        const max = restart.max_delay_s ?? DEFAULT_MAX_DELAY_S;
        if (!isPositive(initial) || !isPositive(max) || max >= initial) return;
        if (restart.max_delay_s !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["max_delay_s"],
            message: `max_delay_s (${max}) must be at least initial_delay_s (${initial}): restart delays start at initial_delay_s and grow up to max_delay_s`,
          });
        } else {
          ctx.addIssue({
            code: "custom",
            path: ["initial_delay_s"],
            message: `initial_delay_s (${initial}) is above max_delay_s (default ${max}); lower it or set max_delay_s to at least ${initial}`,
          });
        }
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .transform(({ initial_delay_s, max_delay_s, ...rest }) => ({
      initial_delay_s: initial_delay_s ?? DEFAULT_INITIAL_DELAY_S,
      max_delay_s: max_delay_s ?? DEFAULT_MAX_DELAY_S,
      ...rest,
    }));


  /** A container's memory: `512m`, `1g` (as docker run writes them), `512MiB`, or bytes. */
  const containerMemory = z.preprocess(
    (value, ctx) => {
      if (typeof value !== "string") return value;
      const docker = DOCKER_SIZE.exec(value.trim());
      if (docker !== null) return Number(docker[1]) * (DOCKER_SIZE_FACTORS[(docker[2] ?? "b").toLowerCase()] ?? 1);
      if (isNumericText(value)) return Number(value);
      const bytes = parseByteSize(value);
      if (bytes !== undefined) return bytes;
      ctx.addIssue({ code: "custom", input: value, message: `'${value}' is not a size; write 512m, 1g or ${BYTE_SIZE_FORMS}` });
      return z.NEVER;
    },
    z
      .number()
      .min(6 * MIB, { error: "must be at least 6m (the Docker Engine refuses less)" })
      .refine(Number.isInteger, { error: "must be a whole number of bytes" }),
  );

  /** Limits every container gets; loosening means raising them, never removing them. */
  const resourcesSchema = z.strictObject({
    memory: containerMemory.default(512 * MIB),
    cpu: numeric(z.number().positive().max(1024)).default(1),
    pids: wholeNumber(z.number().min(8)).default(256),
  });

  /** Keys only a container provider takes (the rest of a provider's keys apply to every mode). */
  function containerFields() {
    return {
      image: z.string().min(1).optional(),
      entrypoint: z.array(z.string()).min(1, { error: "must not be empty — leave it out to keep the image's entrypoint" }).optional(),
      volumes: z.array(z.string().regex(CONTAINER_VOLUME, { error: CONTAINER_VOLUME_HINT })).optional(),
      network: z.string().min(1).optional(),
      read_only: boolish().optional(),
      resources: resourcesSchema.optional(),
      user: z
        .string()
        .regex(/^[^:\s]+(:[^:\s]+)?$/, { error: "write a user as name, uid or uid:gid (1000:1000)" })
        .optional(),
      cap_add: z.array(z.string().regex(/^[A-Z_]+$/, { error: "write a capability as Docker names it (NET_BIND_SERVICE)" })).optional(),
      allow_sensitive_mounts: boolish().optional(),
    };
  }

  /** Keys only a remote provider takes. */
  function remoteFields() {
    return {
      url: z
        .string()
        .refine(isHttpUrl, { error: "must be an http:// or https:// URL (https://mcp.example.com/mcp)" })
        .optional(),
      transport: z.enum(REMOTE_TRANSPORTS).optional(),
      headers: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
    };
  }

  /** Nested strict mappings of a provider, for unknown-key suggestions. */
  const memberShareSchema = memberShareSchemaOf();
  const discovery = buildDiscoverySchema();

  const PROVIDER_SECTIONS = {
    circuit_breaker: Object.keys(circuitBreakerSchema.shape),
    restart: Object.keys(restartFields.shape),
    resources: Object.keys(resourcesSchema.shape),
    rate_limit: Object.keys(rateLimitFields.shape),
    group: Object.keys(memberShareSchema.shape),
  } as const satisfies Record<string, readonly string[]>;

  const providerFields = z.strictObject({
    mode: z
      .enum(PROVIDER_MODES)
      .default("subprocess")
      .transform((mode, ctx) => {
        if (mode === "subprocess" || mode === "container" || mode === "remote") return mode;
        // `docker` is what many people call a container provider; both run through the Engine API.
        if (mode === "docker") return "container" as const;
        // Groups are dispatched to their own schema, so a group here is an inline group member.
        ctx.issues.push({
          code: "custom",
          input: mode,
          message: "a group member cannot itself be a group: define the group under providers and list its members here",
        });
        return z.NEVER;
      }),
    // Required for subprocesses (checked with the mode below); a container's optional arguments.
    command: z
      .array(z.string(), {
        error: (issue) => (typeof issue.input === "string" ? COMMAND_HINT : undefined),
      })
      .min(1, { error: "must not be empty — write [node, server.js]" })
      .optional(),
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
    max_consecutive_failures: positiveCount(3),
    healthy_threshold: positiveCount(1),
    circuit_breaker: circuitBreakerSchema.prefault({}),
    restart: restartSchema.prefault({}),
    startup_timeout_s: positiveSeconds(30),
    call_timeout_s: positiveSeconds(30),
    // Optional until the cross-checks below, which need to know what was written.
    max_call_s: numeric(z.number().positive()).optional(),
    max_message_bytes: byteSize(16 * MIB),
    shutdown_timeout_s: numeric(z.number().positive()).optional(),
    /** Alias of shutdown_timeout_s (its name in earlier versions). */
    shutdown_grace_s: numeric(z.number().positive()).optional(),
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
    /** List tools and prompts under the provider's own names, without `<provider>__` (see passthrough-names.ts). */
    passthrough_names: flag(false),
    description: z.string().optional(),
    // The group this provider joins (docs/groups.md): `search`, or { id: search, weight: 2, priority: 1 }.
    group: z.preprocess((value) => (typeof value === "string" ? { id: value } : value), memberShareSchema).optional(),
    ...containerFields(),
    ...remoteFields(),
    // Security controls (docs/security.md).
    allow_tools: toolPatterns.optional(),
    deny_tools: toolPatterns.default([]),
    allow_prompts: promptPatterns.optional(),
    deny_prompts: promptPatterns.default([]),
    allow_resources: resourcePatterns.optional(),
    deny_resources: resourcePatterns.default([]),
    validate_arguments: flag(true),
    max_argument_bytes: byteSize(MIB),
    max_argument_depth: positiveCount(32),
    max_argument_string_length: positiveCount(MIB),
    rate_limit: rateLimitSchema.optional(),
    tools_rate_limit: z.record(z.string(), rateLimitSchema).default({}),
  });

  // Runs even when other keys are invalid (`when`), so these show up in the same report; each
  // check only looks at values that passed their own validation.
  const providerSchema = providerFields
    .superRefine(
      (provider, ctx) => {
        checkModeKeys(provider, ctx);
        if (provider.shutdown_timeout_s !== undefined && provider.shutdown_grace_s !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["shutdown_grace_s"],
            params: { at: "key" },
            message: "shutdown_grace_s is an alias of shutdown_timeout_s; give only one of them (shutdown_timeout_s)",
          });
        }
        const callTimeout = provider.call_timeout_s;
        const maxCall = provider.max_call_s ?? DEFAULT_MAX_CALL_S;
        if (!isPositive(callTimeout) || !isPositive(maxCall) || maxCall >= callTimeout) return;
        if (provider.max_call_s !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["max_call_s"],
            message: `max_call_s (${maxCall}) must be at least call_timeout_s (${callTimeout}): progress can extend a call's timeout up to max_call_s, never below call_timeout_s`,
          });
        } else {
          ctx.addIssue({
            code: "custom",
            path: ["call_timeout_s"],
            message: `call_timeout_s (${callTimeout}) is above max_call_s (default ${maxCall}); set max_call_s to at least ${callTimeout}`,
          });
        }
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .transform(({ max_call_s, shutdown_timeout_s, shutdown_grace_s, ...rest }) => ({
      ...rest,
      max_call_s: max_call_s ?? DEFAULT_MAX_CALL_S,
      shutdown_timeout_s: shutdown_timeout_s ?? shutdown_grace_s ?? DEFAULT_SHUTDOWN_TIMEOUT_S,
    }));

  // `mode: group` entries are validated by their own schema (src/config/group-schema.ts).
  const groupSchema = groupSchemaOf({ provider: providerSchema, providerKeys: Object.keys(providerFields.shape), error: describeIssue });
  const providerEntrySchema = z.unknown().transform((value, ctx) => {
    const result = (isGroupEntry(value) ? groupSchema : providerSchema).safeParse(value, { reportInput: true, error: describeIssue });
    if (result.success) return result.data;
    ctx.issues.push(...(result.error.issues as z.core.$ZodRawIssue[]));
    return z.NEVER;
  });

  const providersSchema = z
    .record(z.string(), providerEntrySchema, {
      error: (issue) =>
        issue.code === "invalid_type" && (issue.input === undefined || issue.input === null)
          ? `no providers defined — ${MINIMAL_CONFIG}`
          : undefined,
    })
    .superRefine(
      (providers, ctx) => {
        const ids = Object.keys(providers);
        for (const id of ids) {
          const message = providerIdProblem(id);
          if (message !== undefined) ctx.addIssue({ code: "custom", path: [id], params: { at: "key" }, message });
        }
        checkPassthroughNames(providers, ctx);
      },
      { when: (payload) => isRecord(payload.value) },
    )
    .superRefine((providers, ctx) => { checkGroupMembers(providers, ctx, providerIdProblem); }, { when: (payload) => isRecord(payload.value) })
    .superRefine((providers, ctx) => { checkJoinedGroups(providers, ctx, providerIdProblem); }, { when: (payload) => isRecord(payload.value) });

  const principalSchema = z.strictObject({
    allow_tools: toolPatterns.optional(),
    allow_providers: providerPatterns.optional(),
    deny_providers: providerPatterns.default([]),
  });

  const httpAuthSchema = z.strictObject({
    /** Name of the environment variable holding `name:token,…` (a bare token is named `default`). */
    tokens_env: z.string().min(1).optional(),
    /** A file of `name:sha256hex` lines (relative to the config file's folder). */
    tokens_file: z.string().min(1).optional(),
    /** A token bucket per authenticated principal. */
    rate_limit: rateLimitSchema.optional(),
    /** Per principal: the flat tool names (or globs) it may see and call, and the providers it may reach at all. */
    principals: z.record(z.string(), principalSchema).default({}),
  });

  const httpSchema = z.strictObject({
    host: z.string().min(1).default("127.0.0.1"),
    // 0 asks the system for a free port (the bound URL is logged).
    port: wholeNumber(z.number().min(0).max(65535)).default(8000),
    session_idle_s: positiveSeconds(1800),
    max_body_bytes: byteSize(4 * MIB),
    allowed_hosts: z.array(z.string().regex(HTTP_HOST_ENTRY, { error: HTTP_HOST_HINT })).default([]),
    allowed_origins: z
      .array(z.string().refine(isOriginEntry, { error: "write an origin as scheme://host[:port] (https://app.example.com), or '*'" }))
      .default([]),
    auth: httpAuthSchema.prefault({}),
    /** Whether /metrics asks for a bearer token too (when authentication is configured). */
    metrics_auth: flag(false),
  });

  /** Nested strict mappings of `http`, for unknown-key suggestions. */
  const HTTP_SECTIONS = { auth: Object.keys(httpAuthSchema.shape) } as const satisfies Record<string, readonly string[]>;

  // ---- observability: metrics (Prometheus text at `endpoint`, on --metrics-port or the HTTP front end) ----

  const metricsSchema = z.strictObject({
    enabled: flag(true),
    endpoint: z
      .string()
      .regex(/^\/[^\s?#]*$/, { error: "must be a URL path starting with '/' (no spaces, '?' or '#'), such as /metrics" })
      .default("/metrics"),
  });

  // ---- observability: tracing (OpenTelemetry over OTLP/HTTP) and Langfuse; see docs/tracing.md ----
  // Keys left out stay undefined: the standard OTEL_* variables and MCP_TRACING_ENABLED fill them
  // in (src/observability/tracing/config.ts), so the defaults live in one place.

  const ratio = numeric(z.number().min(0).max(1));
  const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, such as http://localhost:4318" });

  const tracingSchema = z.strictObject({
    enabled: boolish().optional(),
    /** Base URL of the collector; /v1/traces is appended. */
    otlp_endpoint: httpUrl.optional(),
    service_name: z.string().min(1).optional(),
    sample_ratio: ratio.optional(),
    /** Health probes are traced apart from calls, off unless asked for. */
    probe_sample_ratio: ratio.default(0),
  });

  const langfuseSchema = z
    .strictObject({
      enabled: flag(false),
      public_key: z.string().default(""),
      secret_key: z.string().default(""),
      host: httpUrl.default("https://cloud.langfuse.com"),
      capture_inputs: flag(false),
      capture_outputs: flag(false),
    })
    .superRefine((langfuse, ctx) => {
      if (!langfuse.enabled) return;
      for (const key of ["public_key", "secret_key"] as const) {
        if (langfuse[key] === "") {
          ctx.addIssue({
            code: "custom",
            path: [key],
            input: langfuse[key],
            message: `'${key}' is required when langfuse is enabled (e.g. ${key}: \${LANGFUSE_${key.toUpperCase()}})`,
          });
        }
      }
    });

  const observabilitySchema = z.strictObject({
    metrics: metricsSchema.prefault({}),
    tracing: tracingSchema.optional(),
    langfuse: langfuseSchema.optional(),
  });

  const auditSchema = z.strictObject({
    enabled: flag(true),
    /** The SQLite file (relative to the config file's folder), or `:memory:`; default $XDG_STATE_HOME/mcp-hangar/audit.db. */
    path: z.string().min(1).optional(),
    /** What is kept of tool arguments and results: nothing, size + keyed hash (default), or the (redacted) values. */
    capture: z.enum(AUDIT_CAPTURE_MODES).default("hash"),
    retention_days: numeric(z.number().positive()).default(30),
    /** Events wait in memory this long before one transaction writes them (a crash loses at most this much). */
    batch_ms: wholeNumber(z.number().positive().max(60_000)).default(100),
    /** Write on a worker thread once events come fast (the default; false: always on the main thread; docs/audit.md, "Off the hot path"). */
    writer_thread: z.boolean().default(true),
  });

  const stdioSchema = z.strictObject({
    /** After stdin EOF, how long the requests already read may take before they are answered with an error (0: none are waited for). */
    drain_timeout_s: numeric(
      z
        .number({ error: "must be a number of seconds, such as 10" })
        .min(0, { error: "must be 0 (shut down at once) or more seconds" })
        .max(MAX_DRAIN_TIMEOUT_S, { error: `must be at most ${MAX_DRAIN_TIMEOUT_S} seconds (an hour)` }),
    ).default(DEFAULT_DRAIN_TIMEOUT_S),
  });

  // ---- registry: the hangar's own tools ----

  const registrySchema = z.strictObject({
    /** Whether start/stop/approve/discover/reload are offered; unset: true over stdio, false over HTTP. */
    admin_tools: boolish().optional(),
  });

  const configFields = z.strictObject(
    {
      expose: z.enum(EXPOSE_MODES).default("both"),
      providers: providersSchema,
      // Optional: without an `http` section the HTTP front end (--http) uses the defaults above.
      http: httpSchema.optional(),
      stdio: stdioSchema.prefault({}),
      observability: observabilitySchema.prefault({}),
      registry: registrySchema.prefault({}),
      audit: auditSchema.prefault({}),
      /** Reload the config when its file changes (SIGHUP always reloads). */
      watch_config: flag(false),
      discovery: discovery.schema.prefault({}),
    },
    {
      error: (issue) =>
        issue.code === "invalid_type" ? `expected a mapping at the top level — ${MINIMAL_CONFIG}` : undefined,
    },
  );

  // A config may leave `providers` out when discovery sources bring them; otherwise at least one is needed.
  const configSchema = z.preprocess(
    (data) => (isRecord(data) && data.providers == null && hasDiscoverySources(data) ? { ...data, providers: {} } : data),
    configFields.superRefine(
      (config, ctx) => {
        const providers: unknown = config.providers;
        if (!isRecord(providers) || Object.keys(providers).length > 0) return;
        if (isRecord(config.discovery) && Array.isArray(config.discovery.sources) && config.discovery.sources.length > 0) return;
        ctx.addIssue({ code: "custom", path: ["providers"], message: `no providers defined — ${MINIMAL_CONFIG}` });
      },
      { when: (payload) => isRecord(payload.value) },
    ),
  );

  return {
    config: configSchema,
    configFields,
    providerFields,
    provider: providerSchema,
    group: groupSchema,
    tool: toolSchema,
    http: httpSchema,
    httpSections: HTTP_SECTIONS,
    principal: principalSchema,
    observability: observabilitySchema,
    metrics: metricsSchema,
    tracing: tracingSchema,
    langfuse: langfuseSchema,
    rateLimit: rateLimitSchema,
    audit: auditSchema,
    stdio: stdioSchema,
    registry: registrySchema,
    providerSections: PROVIDER_SECTIONS,
    discovery,
  };
}

type ConfigSchemas = ReturnType<typeof buildConfigSchemas>;

let heldSchemas: WeakRef<ConfigSchemas> | undefined;

/**
 * The schemas while something still uses them, else built anew: a reload or a discovered
 * provider after start-up pays the few milliseconds of building them again. A WeakRef's target
 * stays alive at least until the current job ends, so one validation always sees one set.
 */
function configSchemas(): ConfigSchemas {
  let schemas = heldSchemas?.deref();
  if (schemas === undefined) {
    schemas = buildConfigSchemas();
    heldSchemas = new WeakRef(schemas);
  }
  return schemas;
}

export type RawConfig = z.output<ConfigSchemas["configFields"]>;
export type RawProvider = z.output<ConfigSchemas["provider"]>;
export type RawGroup = z.output<ConfigSchemas["group"]>;
export type RawTool = z.output<ConfigSchemas["tool"]>;
export type RawHttp = z.output<ConfigSchemas["http"]>;
export type RawObservability = z.output<ConfigSchemas["observability"]>;
export type RawRateLimit = z.output<ConfigSchemas["rateLimit"]>;
export type RawAudit = z.output<ConfigSchemas["audit"]>;
export type RawTracing = z.output<ConfigSchemas["tracing"]>;
export type RawLangfuse = z.output<ConfigSchemas["langfuse"]>;
const LANGFUSE_KEYS = ["enabled", "public_key", "secret_key", "host", "capture_inputs", "capture_outputs"];

/** A `mode: group` entry with every default applied (auto groups: docs/groups.md). */
export function defaultRawGroup(memberIds: readonly string[]): RawGroup {
  return configSchemas().group.parse({ mode: "group", members: [...memberIds] });
}

/** The `http` section with every default applied, for a config that has none. */
export function defaultRawHttp(): RawHttp {
  return configSchemas().http.parse({});
}

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
  const schemas = configSchemas();
  const result = schemas.config.safeParse(data, { reportInput: true, error: describeIssue });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap((issue) => toProblems(issue, schemas)) };
}

/** Valid keys of the strict object at `path`, for suggestions. */
function keysAt(path: ConfigPath, schemas: ConfigSchemas): readonly string[] {
  const sections = schemas.providerSections;
  if (path.length === 2 && path[0] === "providers") return Object.keys(schemas.providerFields.shape);
  if (path.length === 3 && path[0] === "providers" && isProviderSection(path[2], sections)) return sections[path[2]];
  if (path.length === 4 && path[0] === "providers" && path[2] === "tools") return Object.keys(schemas.tool.shape);
  if (path.length === 1 && path[0] === "http") return Object.keys(schemas.http.shape);
  if (path.length === 1 && path[0] === "observability") return Object.keys(schemas.observability.shape);
  if (path.length === 1 && path[0] === "audit") return Object.keys(schemas.audit.shape);
  if (path.length === 1 && path[0] === "stdio") return Object.keys(schemas.stdio.shape);
  if (path.length === 2 && path[0] === "observability" && path[1] === "metrics") return Object.keys(schemas.metrics.shape);
  if (path.length === 2 && path[0] === "observability" && path[1] === "tracing") return Object.keys(schemas.tracing.shape);
  if (path.length === 2 && path[0] === "observability" && path[1] === "langfuse") return LANGFUSE_KEYS;
  if (path.length === 2 && path[0] === "http" && path[1] === "auth") return schemas.httpSections.auth;
  if (path.length === 1 && path[0] === "registry") return Object.keys(schemas.registry.shape);
  if (path.length === 4 && path[0] === "providers" && path[2] === "tools_rate_limit") return sections.rate_limit;
  if (path.length === 4 && path[0] === "http" && path[2] === "principals") return Object.keys(schemas.principal.shape);
  if (path.length === 1 && path[0] === "discovery") return Object.keys(schemas.discovery.schema.shape);
  // Keys valid in some source type: suggestions for a `discovery.sources[i]` typo.
  if (path.length === 3 && path[0] === "discovery" && path[1] === "sources") return [...new Set(Object.values(schemas.discovery.sourceKeys).flat())];
  return Object.keys(schemas.configFields.shape);
}

/** For a provider key that belongs in a section (`failure_threshold`): `circuit_breaker.failure_threshold`. */
function sectionKeyFor(path: ConfigPath, key: string, schemas: ConfigSchemas): string | undefined {
  if (path.length === 1 && path[0] === "http") {
    const match = closestMatch(key, schemas.httpSections.auth);
    return match === undefined ? undefined : `auth.${match}`;
  }
  if (path.length !== 2 || path[0] !== "providers") return undefined;
  for (const [section, keys] of Object.entries(schemas.providerSections)) {
    const match = closestMatch(key, keys);
    if (match !== undefined) return `${section}.${match}`;
  }
  return undefined;
}

/**
 * The error map sees an issue before its path is complete, so a missing key's name is filled
 * in afterwards; this marker tells that message apart from one set by the schema itself.
 */
const MISSING_KEY = "\u0000missing";

function toProblems(issue: z.core.$ZodIssue, schemas: ConfigSchemas): SchemaProblem[] {
  const path = issue.path.map((segment) => (typeof segment === "number" ? segment : String(segment)));
  if (issue.code === "unrecognized_keys") {
    const valid = keysAt(path, schemas);
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, valid) ?? sectionKeyFor(path, key, schemas);
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
  const target: ProblemTarget = isRecord(params) && (params.at === "key" || params.at === "parent") ? params.at : "value";
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
    case "too_big":
      if (issue.origin === "number") {
        return issue.inclusive === true ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
      }
      return undefined;
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

function isProviderSection(key: unknown, sections: ConfigSchemas["providerSections"]): key is keyof ConfigSchemas["providerSections"] {
  return typeof key === "string" && Object.hasOwn(sections, key);
}

