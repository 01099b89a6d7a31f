import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Document, Node, Pair } from "yaml";
import { registerConfigSecrets } from "../security/secrets.js";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { interpolateDocument, interpolateValues, type ConfigPath } from "./interpolate.js";
import { modePart, modeProblems } from "./mode-specs.js";
import { quickLoad } from "./quick-yaml.js";
import { yamlLibrary } from "./yaml-library.js";
import {
  DEFAULT_DRAIN_TIMEOUT_S,
  defaultRawHttp,
  emptyConfigMessage,
  validateConfig,
  type ProblemTarget,
  type RawAudit,
  type RawConfig,
  type RawHttp,
  type RawLangfuse,
  type RawObservability,
  type RawProvider,
  type RawTool,
  type RawTracing,
} from "./schema.js";
import { inlineMemberPlaces, inlineMembers, splitGroups, toGroupSpec } from "./group-spec.js";
import type {
  AuditSpec,
  HangarConfig,
  HttpSpec,
  LangfuseSpec,
  ObservabilitySpec,
  PredefinedTool,
  ProviderSecuritySpec,
  ProviderSpec,
  SecuritySpec,
  StdioSpec,
  TracingSpec,
} from "./types.js";
import { toDiscoverySpecs } from "./discovery-spec.js";

/**
 * YAML text → HangarConfig. Everything that can be wrong is reported together, each issue at
 * the line and column of the node it concerns.
 */

/** Reads and parses a config file; `path` is shown in messages as given. */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): HangarConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = error instanceof Error && "code" in error && error.code === "ENOENT" ? "file not found" : String(error);
    throw new ConfigError([{ file: path, path: "", message: `cannot read the config: ${reason}` }]);
  }
  return parseConfig(text, path, env);
}

/**
 * Parses config text; `file` names it in messages, and relative `cwd`s resolve against its folder.
 * With `root`, the config is the value of that top-level key (a package.json's `mcpHangar`), and
 * positions still point into the whole file.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env, root?: string): HangarConfig {
  // The common case is read quickly (quick-yaml.ts); whatever there is to report, `yaml` reads
  // the text again and reports it at its line and column.
  const raw = quickConfig(text, file, env, root) ?? checkedConfig(text, file, env, root);
  const config = toHangarConfig(raw, resolve(file));
  // Inline group members' env and headers are secrets like any provider's.
  const { providers, groups } = splitGroups(raw.providers);
  registerConfigSecrets({ ...raw, providers: Object.fromEntries([...providers, ...inlineMembers(groups)]) });
  return config;
}

/** The validated config read by quickLoad, or undefined when the text is not the common case or anything in it needs reporting. */
function quickConfig(text: string, file: string, env: NodeJS.ProcessEnv, root: string | undefined): RawConfig | undefined {
  const data = quickLoad(text);
  const scoped = root === undefined ? data : isRecord(data) ? data[root] : undefined;
  if (scoped === undefined || scoped === null || !interpolateValues(scoped, env)) return undefined;
  const validation = validateConfig(scoped);
  if (!validation.ok) return undefined;
  const folder = dirname(resolve(file));
  return checkedProviders(validation.value).every(([id, provider]) => modeProblems(id, provider, folder).length === 0) ? validation.value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Top-level providers and inline group members, each with its place in the config. */
function checkedProviders(raw: RawConfig): [string, RawProvider, ConfigPath][] {
  const { providers, groups } = splitGroups(raw.providers);
  return [
    ...providers.map(([id, provider]): [string, RawProvider, ConfigPath] => [id, provider, ["providers", id]]),
    ...inlineMemberPlaces(groups),
  ];
}

/**
 * An unquoted `${VAR}` inside a flow collection (`env: { K: ${VAR} }`) is YAML's own `{`, and the
 * parser's message ("Unexpected flow-map-start …") does not say so: a hint when the line holds `${`.
 */
function interpolationHint(text: string, line: number): string {
  const lineText = text.split("\n", line)[line - 1] ?? "";
  return lineText.includes("${") ? " (quote values that use ${VAR} inside { } or [ ], e.g. \"${VAR}\")" : "";
}

/** Reads the text with `yaml`'s document model and validates it; every problem is thrown together, each at its position. */
function checkedConfig(text: string, file: string, env: NodeJS.ProcessEnv, root: string | undefined): RawConfig {
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): Pick<ConfigIssue, "line" | "column"> => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  // Only the first syntax error: yaml keeps going, but what it reports next is mostly fallout
  // (one missing `]` yields dozens of "unexpected token"), and past it the tree is guesswork, so
  // validating it would only add noise.
  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const place = at(syntaxError.pos[0]);
    throw new ConfigError([{ file, ...place, path: "", message: syntaxError.message + interpolationHint(text, place.line ?? 0) }]);
  }
  if (root !== undefined) {
    const node: unknown = doc.get(root, true);
    doc.contents = isNode(node) ? (node as typeof doc.contents) : null;
  }
  if (doc.contents === null) {
    throw new ConfigError([{ file, line: 1, column: 1, path: "", message: emptyConfigMessage() }]);
  }

  const issues: ConfigIssue[] = [];
  const interpolationProblems = interpolateDocument(doc, env);
  for (const problem of interpolationProblems) {
    issues.push({ file, ...at(problem.node.range?.[0] ?? 0), path: formatPath(problem.path), message: problem.message });
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // toJS refuses alias bombs (excessive alias expansion); there is no single node to blame.
    throw new ConfigError([{ file, line: 1, column: 1, path: "", message: String(error) }]);
  }

  const validation = validateConfig(data);
  if (!validation.ok) {
    for (const problem of validation.problems) {
      // A value that failed interpolation is still the raw `${…}` text; its type error is noise.
      if (interpolationProblems.some((p) => startsWith(problem.path, p.path))) continue;
      const offset = locate(doc, problem.path, problem.target);
      const shown = problem.target === "value" ? problem.path : problem.path.slice(0, -1);
      issues.push({ file, ...at(offset), path: formatPath(shown), message: problem.message });
    }
  }
  if (validation.ok) {
    // Checks that need the config's folder (relative volume paths), positioned like the schema's.
    // Inline group members are checked like the others, at their place in the group.
    for (const [id, provider, place] of checkedProviders(validation.value)) {
      for (const problem of modeProblems(id, provider, dirname(resolve(file)))) {
        const path = [...place, ...problem.path.slice(2)];
        issues.push({ file, ...at(locate(doc, path, "value")), path: formatPath(path), message: problem.message });
      }
    }
  }
  if (issues.length > 0 || !validation.ok) throw new ConfigError(issues);
  return validation.value;
}

function toHangarConfig(raw: RawConfig, source: string): HangarConfig {
  const base = dirname(source);
  const { providers: rawProviders, groups: rawGroups } = splitGroups(raw.providers);
  const providers = rawProviders.map(([id, p]) => toProviderSpec(id, p, base));
  // Inline group members are providers in their own right, listed after the top-level ones.
  providers.push(...inlineMembers(rawGroups).map(([id, p]) => toProviderSpec(id, p, base)));
  const groups = rawGroups.map(([id, g]) => toGroupSpec(id, g));
  return {
    source,
    expose: raw.expose,
    providers,
    ...(groups.length === 0 ? {} : { groups }),
    ...(raw.http === undefined ? {} : { http: toHttpSpec(raw.http, base) }),
    stdio: { drainTimeoutS: raw.stdio.drain_timeout_s },
    observability: toObservabilitySpec(raw.observability),
    audit: toAuditSpec(raw.audit, base),
    security: toSecuritySpec(raw),
    // Only when used, so a plain config stays as plain as before.
    ...(raw.discovery.sources.length === 0 ? {} : { discovery: toDiscoverySpecs(raw.discovery, base) }),
    ...(raw.watch_config ? { watchConfig: true } : {}),
  };
}

function toProviderSecurity(p: RawProvider): ProviderSecuritySpec {
  return {
    allowTools: p.allow_tools,
    denyTools: p.deny_tools,
    allowPrompts: p.allow_prompts,
    denyPrompts: p.deny_prompts,
    allowResources: p.allow_resources,
    denyResources: p.deny_resources,
    validateArguments: p.validate_arguments,
    maxArgumentBytes: p.max_argument_bytes,
    maxArgumentDepth: p.max_argument_depth,
    maxArgumentStringLength: p.max_argument_string_length,
    rateLimit: p.rate_limit,
    toolsRateLimit: p.tools_rate_limit,
  };
}

function toSecuritySpec(raw: RawConfig): SecuritySpec {
  const auth = raw.http?.auth;
  return {
    adminTools: raw.registry.admin_tools,
    principalRateLimit: auth?.rate_limit,
    principalAllowTools: Object.fromEntries(
      Object.entries(auth?.principals ?? {}).flatMap(([name, p]) => (p.allow_tools === undefined ? [] : [[name, p.allow_tools]])),
    ),
    principalProviders: Object.fromEntries(
      Object.entries(auth?.principals ?? {}).flatMap(([name, p]) =>
        p.allow_providers === undefined && p.deny_providers.length === 0 ? [] : [[name, { allow: p.allow_providers, deny: p.deny_providers }]],
      ),
    ),
  };
}

function toProviderSpec(id: string, p: RawProvider, base: string): ProviderSpec {
  return {
    id,
    ...modePart(p, base),
    idleTtlS: p.idle_ttl_s,
    healthCheckIntervalS: p.health_check_interval_s,
    maxConsecutiveFailures: p.max_consecutive_failures,
    healthyThreshold: p.healthy_threshold,
    circuitBreaker: {
      failureThreshold: p.circuit_breaker.failure_threshold,
      resetTimeoutS: p.circuit_breaker.reset_timeout_s,
      halfOpenMaxCalls: p.circuit_breaker.half_open_max_calls,
    },
    restart: {
      initialDelayS: p.restart.initial_delay_s,
      maxDelayS: p.restart.max_delay_s,
      multiplier: p.restart.multiplier,
      maxRestarts: p.restart.max_restarts,
      windowS: p.restart.window_s,
    },
    startupTimeoutS: p.startup_timeout_s,
    callTimeoutS: p.call_timeout_s,
    maxCallS: p.max_call_s,
    maxMessageBytes: p.max_message_bytes,
    shutdownGraceS: p.shutdown_timeout_s,
    tools: p.tools.map(toTool),
    warm: p.warm,
    // Set only when true, so a spec without it means the default.
    ...(p.passthrough_names ? { passthroughNames: true } : {}),
    ...(p.description === undefined ? {} : { description: p.description }),
    ...(p.group === undefined ? {} : { group: p.group }),
    security: toProviderSecurity(p),
  };
}

function toHttpSpec(raw: RawHttp, base: string): HttpSpec {
  return {
    host: raw.host,
    port: raw.port,
    sessionIdleS: raw.session_idle_s,
    maxBodyBytes: raw.max_body_bytes,
    allowedHosts: raw.allowed_hosts,
    allowedOrigins: raw.allowed_origins,
    auth: {
      tokensEnv: raw.auth.tokens_env,
      tokensFile: raw.auth.tokens_file === undefined ? undefined : resolve(base, raw.auth.tokens_file),
    },
    metricsAuth: raw.metrics_auth,
  };
}

/** The config's HTTP settings, with the defaults when it has no `http` section. */
export function httpSpecOf(config: HangarConfig): HttpSpec {
  return config.http ?? toHttpSpec(defaultRawHttp(), dirname(config.source));
}

function toObservabilitySpec(raw: RawObservability): ObservabilitySpec {
  return {
    metrics: { enabled: raw.metrics.enabled, endpoint: raw.metrics.endpoint },
    ...(raw.tracing === undefined ? {} : { tracing: toTracingSpec(raw.tracing) }),
    ...(raw.langfuse === undefined ? {} : { langfuse: toLangfuseSpec(raw.langfuse) }),
  };
}

function toTracingSpec(raw: RawTracing): TracingSpec {
  return {
    ...(raw.enabled === undefined ? {} : { enabled: raw.enabled }),
    ...(raw.otlp_endpoint === undefined ? {} : { otlpEndpoint: raw.otlp_endpoint }),
    ...(raw.service_name === undefined ? {} : { serviceName: raw.service_name }),
    ...(raw.sample_ratio === undefined ? {} : { sampleRatio: raw.sample_ratio }),
    probeSampleRatio: raw.probe_sample_ratio,
  };
}

function toLangfuseSpec(raw: RawLangfuse): LangfuseSpec {
  return {
    enabled: raw.enabled,
    publicKey: raw.public_key,
    secretKey: raw.secret_key,
    host: raw.host,
    captureInputs: raw.capture_inputs,
    captureOutputs: raw.capture_outputs,
  };
}

/** The config's observability settings, with the defaults for a config built without the loader. */
export function stdioSpecOf(config: HangarConfig): StdioSpec {
  return config.stdio ?? { drainTimeoutS: DEFAULT_DRAIN_TIMEOUT_S };
}

export function observabilityOf(config: HangarConfig): ObservabilitySpec {
  return config.observability ?? { metrics: { enabled: true, endpoint: "/metrics" } };
}

function toAuditSpec(raw: RawAudit, base: string): AuditSpec {
  return {
    enabled: raw.enabled,
    path: raw.path === undefined || raw.path === ":memory:" ? raw.path : resolve(base, raw.path),
    capture: raw.capture,
    retentionDays: raw.retention_days,
    batchMs: raw.batch_ms,
    writerThread: raw.writer_thread,
  };
}

/** The config's audit settings, with the defaults for a config built without the loader. */
export function auditOf(config: HangarConfig): AuditSpec {
  return config.audit ?? { enabled: true, path: undefined, capture: "hash", retentionDays: 30, batchMs: 100, writerThread: true };
}

function toTool(tool: RawTool): PredefinedTool {
  const out: PredefinedTool = { name: tool.name, inputSchema: tool.inputSchema };
  if (tool.description !== undefined) out.description = tool.description;
  if (tool.outputSchema !== undefined) out.outputSchema = tool.outputSchema;
  if (tool.annotations !== undefined) out.annotations = tool.annotations;
  return out;
}

/** Source offset of the node a problem concerns. */
function locate(doc: Document, path: ConfigPath, target: ProblemTarget): number {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let found = 0;
  for (const segment of path) {
    const next = child(doc, node, segment);
    if (next === undefined) break;
    ({ node, pair } = next);
    found++;
  }
  const complete = found === path.length;
  if (complete && target === "key" && pair !== undefined) return start(pair.key) ?? 0;
  // An empty value (`idle_ttl_s:`) has no text of its own; its key is what the user sees.
  if (complete && pair !== undefined && isEmpty(node)) return start(pair.key) ?? 0;
  return start(node) ?? start(doc.contents) ?? 0;
}

function child(doc: Document, parent: unknown, segment: string | number): { node: unknown; pair?: Pair } | undefined {
  const { isAlias, isMap, isSeq } = yamlLibrary();
  const container = isAlias(parent) ? parent.resolve(doc) : parent;
  if (isMap(container)) {
    const pair = container.items.find((item) => keyText(item.key) === String(segment));
    return pair === undefined ? undefined : { node: pair.value, pair };
  }
  if (isSeq(container) && typeof segment === "number") {
    const item: unknown = container.items[segment];
    return item === undefined ? undefined : { node: item };
  }
  return undefined;
}

function keyText(key: unknown): string {
  return yamlLibrary().isScalar(key) ? String(key.value) : String(key);
}

function start(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

function isEmpty(node: unknown): boolean {
  if (!isNode(node)) return true;
  const range = node.range;
  return range !== undefined && range !== null && range[0] === range[1];
}

function isNode(value: unknown): value is Node {
  return yamlLibrary().isNode(value);
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, index) => String(path[index]) === String(segment));
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `providers.math.tools[0].name`; odd keys are quoted so the path stays unambiguous. */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
