import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { RateLimitSpec } from "../security/token-bucket.js";

/**
 * The validated, defaults-applied configuration the rest of the hangar works with. The zod
 * schema in schema.ts produces exactly these shapes; nothing downstream re-reads YAML.
 */
export type ExposeMode = "both" | "registry" | "tools";

/** A tool listed before its provider ever starts. */
export type PredefinedTool = Pick<Tool, "name" | "description" | "inputSchema" | "outputSchema" | "annotations">;

/** circuit_breaker: counts provider faults (timeout, transport, crash, start_failed). */
export interface CircuitBreakerSpec {
  /** Consecutive faults in CLOSED that open the breaker (failure_threshold, default 5). */
  failureThreshold: number;
  /** How long OPEN refuses calls before HALF_OPEN lets trial calls through (reset_timeout_s, default 30). */
  resetTimeoutS: number;
  /** Trial calls HALF_OPEN lets through (half_open_max_calls, default 1). */
  halfOpenMaxCalls: number;
}

/** restart: how the recovery saga restarts a crashed provider. */
export interface RestartSpec {
  /** initial_delay_s, default 1 */
  initialDelayS: number;
  /** max_delay_s, default 60 */
  maxDelayS: number;
  /** multiplier, default 2 */
  multiplier: number;
  /** max_restarts within window_s before the provider is declared DEAD (default 5 in 300 s) */
  maxRestarts: number;
  windowS: number;
}

export interface SubprocessProviderSpec extends ProviderCommonSpec {
  mode: "subprocess";
  /** argv; never run through a shell. */
  command: string[];
  /** Interpolated env values given to the provider (secrets: registered with the redactor). */
  env: Record<string, string>;
  /** Pass the hangar's whole environment instead of the small allow-list. */
  inheritEnv: boolean;
  /** Absolute working directory (default: the config file's folder). */
  cwd: string;
}

/** One `volumes` entry: a host path (absolute, resolved against the config file) or a named volume. */
export interface VolumeSpec {
  /** Absolute host path, or a named volume's name when `named`. */
  source: string;
  named: boolean;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
}

/**
 * How a container is fenced in. The defaults are the strictest; every field that can be loosened
 * is a config key, and registry_details shows what was loosened (see isolation.ts).
 */
export interface ContainerIsolationSpec {
  /** `none` (default), `bridge`, `host` or a network's name. */
  network: string;
  /** Read-only root filesystem with a small tmpfs at /tmp (read_only, default true). */
  readOnly: boolean;
  /** Capabilities given back after dropping all (cap_add, default none). */
  capAdd: string[];
  /** Mounting /, /etc, /proc, /sys or the engine socket was allowed (allow_sensitive_mounts). */
  allowSensitiveMounts: boolean;
  memoryBytes: number;
  /** CPUs (1.0 = one core). */
  cpus: number;
  pids: number;
}

export interface ContainerProviderSpec extends ProviderCommonSpec {
  mode: "container";
  image: string;
  /** Arguments after the image's entrypoint (`command`; empty: the image's CMD). */
  command: string[];
  /** Replaces the image's entrypoint when given. */
  entrypoint: string[] | undefined;
  /** Interpolated env values (secrets: never logged, registered with the redactor). */
  env: Record<string, string>;
  volumes: VolumeSpec[];
  /** `uid`, `uid:gid` or a user name; undefined: the image's user. */
  user: string | undefined;
  isolation: ContainerIsolationSpec;
}

export type RemoteTransportKind = "streamable-http" | "sse";

export interface RemoteProviderSpec extends ProviderCommonSpec {
  mode: "remote";
  url: string;
  /** undefined: streamable HTTP first, then legacy SSE when the server does not speak it. */
  transport: RemoteTransportKind | undefined;
  /** Sent with every request (secrets: registered with the redactor, never logged). */
  headers: Record<string, string>;
}

/** What every provider has, whatever runs it. */
export interface ProviderCommonSpec {
  id: string;
  idleTtlS: number;
  /** Probe interval while READY or DEGRADED (health_check_interval_s, default 60). */
  healthCheckIntervalS: number;
  /** Failed probes in a row that make a READY provider DEGRADED (max_consecutive_failures, default 3). */
  maxConsecutiveFailures: number;
  /** Good probes in a row that make a DEGRADED provider READY again (healthy_threshold, default 1). */
  healthyThreshold: number;
  circuitBreaker: CircuitBreakerSpec;
  restart: RestartSpec;
  startupTimeoutS: number;
  callTimeoutS: number;
  /** Progress notifications extend a call's timeout, but never past this (max_call_s, default 600). */
  maxCallS: number;
  /** A single MCP message larger than this closes the connection (max_message_bytes, default 16 MiB). */
  maxMessageBytes: number;
  /** Grace period between SIGTERM and SIGKILL of the process group (shutdown_timeout_s, alias shutdown_grace_s; default 5). */
  shutdownGraceS: number;
  tools: PredefinedTool[];
  warm: boolean;
  /** List tools and prompts under their own names, without `<provider>__` (passthrough_names, default false). */
  passthroughNames?: boolean;
  description?: string;
  /**
   * `group`: the group this provider joins — a `mode: group` entry, or else an auto group made
   * for it (docs/groups.md). `weight` and `priority` are its share there.
   */
  group?: { id: string; weight: number; priority: number };
  /** allow_tools, deny_tools, argument checks and rate limits; the loader always sets it (see providerSecurityOf). */
  security?: ProviderSecuritySpec;
}

/** A provider's security controls (docs/security.md). */
export interface ProviderSecuritySpec {
  /** allow_tools: names or globs; when given, only matching tools exist. */
  allowTools: string[] | undefined;
  /** deny_tools: names or globs of tools that never exist (deny wins). */
  denyTools: string[];
  /** allow_prompts: the provider's own prompt names (or globs); when given, only matching prompts exist. */
  allowPrompts?: string[] | undefined;
  /** deny_prompts: prompt names (or globs) that never exist (deny wins). */
  denyPrompts?: string[];
  /** allow_resources: resource URIs (or globs); when given, only matching resources can be read or subscribed. */
  allowResources?: string[] | undefined;
  /** deny_resources: resource URIs (or globs) never read nor subscribed (deny wins). */
  denyResources?: string[];
  /** validate_arguments: check arguments against the tool's inputSchema (default true). */
  validateArguments: boolean;
  /** max_argument_bytes (default 1 MiB). */
  maxArgumentBytes: number;
  /** max_argument_depth (default 32). */
  maxArgumentDepth: number;
  /** max_argument_string_length (default 1 MiB characters). */
  maxArgumentStringLength: number;
  /** rate_limit: every call to this provider. */
  rateLimit: RateLimitSpec | undefined;
  /** tools_rate_limit: per tool of this provider (its own tool names). */
  toolsRateLimit: Record<string, RateLimitSpec>;
}

/** A provider's mode only decides which connection actor runs it; the chart is the same for all. */
export type ProviderSpec = SubprocessProviderSpec | ContainerProviderSpec | RemoteProviderSpec;

/** http.auth: where the bearer tokens come from (none given: no authentication). */
export interface HttpAuthSpec {
  /** Name of the environment variable holding `name:token,…` pairs (tokens_env). */
  tokensEnv: string | undefined;
  /** Absolute path of a file of `name:sha256hex` lines (tokens_file). */
  tokensFile: string | undefined;
}

/** http: the HTTP front end, used with `--http` (the command line's --host/--port win). */
export interface HttpSpec {
  /** Address to bind (default 127.0.0.1). */
  host: string;
  /** Port to bind (default 8000; 0 = any free port). */
  port: number;
  /** A streamable HTTP session unused this long is closed (session_idle_s, default 1800). */
  sessionIdleS: number;
  /** A bigger request body is refused with 413 (max_body_bytes, default 4 MiB). */
  maxBodyBytes: number;
  /** Host headers accepted besides the defaults (bound address and localhost with the port); `*` = any. */
  allowedHosts: string[];
  /** Origin headers accepted besides the allowed hosts' own origins; `*` = any. */
  allowedOrigins: string[];
  auth: HttpAuthSpec;
  /** /metrics asks for a bearer token too (metrics_auth, default false). */
  metricsAuth: boolean;
}

/** observability.metrics: Prometheus metrics (served on --metrics-port, or by the HTTP front end). */
export interface MetricsSpec {
  /** enabled, default true. */
  enabled: boolean;
  /** URL path of the metrics (endpoint, default /metrics). */
  endpoint: string;
}

/**
 * observability.tracing as written; keys left out are filled in from OTEL_* and
 * MCP_TRACING_ENABLED (src/observability/tracing/config.ts), so these stay optional here.
 */
export interface TracingSpec {
  enabled?: boolean;
  /** Base URL of the OTLP/HTTP collector (otlp_endpoint); /v1/traces is appended. */
  otlpEndpoint?: string;
  serviceName?: string;
  sampleRatio?: number;
  /** Share of health probes traced (probe_sample_ratio, default 0: none). */
  probeSampleRatio: number;
}

/** observability.langfuse: tool calls as Langfuse observations and scores (docs/tracing.md). */
export interface LangfuseSpec {
  enabled: boolean;
  publicKey: string;
  /** Registered with the redactor like every secret-named value. */
  secretKey: string;
  host: string;
  /** Send tool arguments (redacted) — off by default. */
  captureInputs: boolean;
  /** Send tool results (redacted) — off by default. */
  captureOutputs: boolean;
}

export interface ObservabilitySpec {
  metrics: MetricsSpec;
  /** Present when the config has the section. */
  tracing?: TracingSpec;
  /** Present when the config has the section. */
  langfuse?: LangfuseSpec;
}

/** audit.capture: what the audit trail keeps of tool arguments and results. */
export type AuditCapture = "none" | "hash" | "full";

/** audit: the audit trail (docs/audit.md). */
export interface AuditSpec {
  /** enabled, default true. */
  enabled: boolean;
  /** Absolute path of the SQLite file, `:memory:`, or undefined for $XDG_STATE_HOME/mcp-hangar/audit.db. */
  path: string | undefined;
  /** capture, default hash (size + keyed HMAC). */
  capture: AuditCapture;
  /** retention_days, default 30: older events are pruned at start-up and daily. */
  retentionDays: number;
  /** batch_ms, default 100: how long events wait in memory before one transaction writes them. */
  batchMs: number;
  /** writer_thread, default true: busy hangars write on a worker thread (see docs/audit.md). */
  writerThread: boolean;
}

/** How a group picks a member per call (strategy). */
export const GROUP_STRATEGIES = ["round_robin", "weighted_round_robin", "least_connections", "random", "priority"] as const;
export type GroupStrategy = (typeof GROUP_STRATEGIES)[number];

/** retry_on_member_failure: auto = only tools annotated readOnlyHint or idempotentHint. */
export const MEMBER_RETRY_POLICIES = ["auto", "always", "never"] as const;
export type MemberRetryPolicy = (typeof MEMBER_RETRY_POLICIES)[number];

/** One member of a group: a provider (defined at the top level or inline) with its share of the traffic. */
export interface GroupMemberSpec {
  id: string;
  /** Share for weighted_round_robin and random (weight, default 1). */
  weight: number;
  /** For the priority strategy: the lowest number wins (priority, default 1). */
  priority: number;
}

/** A `mode: group` entry of `providers`: several providers behind one id. */
export interface GroupSpec {
  id: string;
  strategy: GroupStrategy;
  /** Fewer members in rotation than this → PARTIAL (min_healthy, default 1). */
  minHealthy: number;
  members: GroupMemberSpec[];
  failover: {
    /** Move traffic back to the preferred member once it is healthy again (auto_failback, default true). */
    autoFailback: boolean;
    /** How long the preferred member must stay healthy before traffic moves back (failback_delay_s, default 30). */
    failbackDelayS: number;
  };
  retryOnMemberFailure: MemberRetryPolicy;
  /** Members tried per call at most, the first one included (max_attempts, default 2). */
  maxAttempts: number;
  description?: string;
}

/** discovery.sources[i], common part: see src/discovery/reconciler.ts for what the policy means. */
interface DiscoverySourceBase {
  /** `<type>:<name>`: the source actor's systemId is `discovery:<id>`. */
  id: string;
  name: string;
  mode: "additive" | "authoritative";
  graceS: number;
  quarantine: boolean;
  maxProviders: number;
}

export interface FilesystemSourceSpec extends DiscoverySourceBase {
  type: "filesystem";
  /** Absolute folder of provider files. */
  path: string;
  /** File name pattern (`*` and `?`), default `*.yaml`. */
  pattern: string;
}

export interface PackagesSourceSpec extends DiscoverySourceBase {
  type: "packages";
  /** Absolute node_modules folders. */
  paths: string[];
}

export interface DockerSourceSpec extends DiscoverySourceBase {
  type: "docker";
  socket: string | undefined;
  address: "container_ip" | "published";
  publishedHost: string;
  /** Labels a container must carry to be seen: value undefined means "present, any value". Empty: no scoping. */
  labels: DockerLabelMatch[];
}

export interface DockerLabelMatch {
  key: string;
  value: string | undefined;
}

export interface KubernetesSourceSpec extends DiscoverySourceBase {
  type: "kubernetes";
  namespaces: string[];
  labelSelector: string | undefined;
  /** Absolute kubeconfig path; undefined: in-cluster, else the default kubeconfig. */
  kubeconfig: string | undefined;
  context: string | undefined;
}

export type DiscoverySourceSpec = FilesystemSourceSpec | PackagesSourceSpec | DockerSourceSpec | KubernetesSourceSpec;

export interface HangarConfig {
  /** Absolute path of the file this came from (for messages). */
  source: string;
  expose: ExposeMode;
  /** Every provider, inline group members included (each is a provider in its own right). */
  providers: ProviderSpec[];
  /** `mode: group` entries of `providers` (see docs/groups.md); absent or empty when there are none. */
  groups?: GroupSpec[];
  /** The `http` section, when the file has one (see httpSpecOf in load.ts for the defaults). */
  http?: HttpSpec;
  /** The `stdio` section; the loader always sets it (see stdioSpecOf in load.ts for hand-built configs). */
  stdio?: StdioSpec;
  /** The `observability` section; the loader always sets it (see observabilityOf in load.ts for hand-built configs). */
  observability?: ObservabilitySpec;
  /** The `audit` section; the loader always sets it (see auditOf in load.ts for hand-built configs). */
  audit?: AuditSpec;
  /** Hangar-wide security controls (`registry.admin_tools`, `http.auth.rate_limit`, principals). */
  security?: SecuritySpec;
  /** Discovery sources (none: only the static providers). */
  discovery?: DiscoverySourceSpec[];
  /** Reload when the file changes (watch_config); SIGHUP reloads regardless. */
  watchConfig?: boolean;
}

/** The stdio front end (README, "Command line"). */
export interface StdioSpec {
  /** After stdin EOF, how long the requests in flight may take before they are cut with an error; 0: not waited for. */
  drainTimeoutS: number;
}

/** Hangar-wide security controls (docs/security.md). */
export interface SecuritySpec {
  /** registry.admin_tools; undefined = true over stdio, false over HTTP. */
  adminTools: boolean | undefined;
  /** http.auth.rate_limit: per authenticated principal. */
  principalRateLimit: RateLimitSpec | undefined;
  /** http.auth.principals.<name>.allow_tools: the flat tool names (or globs) a principal may see and call. */
  principalAllowTools: Record<string, string[]>;
  /** http.auth.principals.<name>.allow_providers / deny_providers: the provider and group ids a principal may reach. */
  principalProviders?: Record<string, { allow: string[] | undefined; deny: string[] }>;
}
