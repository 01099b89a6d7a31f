import { randomUUID } from "node:crypto";
import { ErrorCode, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { HangarConfig, ProviderSecuritySpec, ProviderSpec } from "../config/types.js";
import type { DomainEventBus } from "../observability/domain-event-bus.js";
import { log } from "../observability/log.js";
import type { RefusalReason } from "../shared/domain-events.js";
import { failureResult } from "../transports/outcome-result.js";
import { RpcError } from "../transports/rpc-error.js";
import { AdminGate, type Caller, type FrontEnd } from "./admin-gate.js";
import { ArgumentValidator, type ArgumentViolation } from "./argument-validator.js";
import { PrincipalTools } from "./principal-tools.js";
import { describeRateLimitRefusal, RateLimiter, type RateLimitRefusal } from "./rate-limiter.js";
import { checkStructure, DEFAULT_STRUCTURAL_LIMITS } from "./structural-limits.js";
import { toolFilterOf } from "./tool-filter.js";

/** The JSON-RPC error code of a call refused by a rate limit (in the implementation-defined range; 429 in spirit). */
export const RATE_LIMITED_CODE = -32029;

/** Registry tools whose provider call meets the principal's limit in admitToolCall (checked-invoke.ts). */
const INVOKING_TOOLS: ReadonlySet<string> = new Set(["registry_invoke", "registry_invoke_ex", "registry_invoke_stream"]);

/** What every provider gets when its config says nothing (hand-built specs in tests, too). */
export const DEFAULT_PROVIDER_SECURITY: ProviderSecuritySpec = {
  allowTools: undefined,
  denyTools: [],
  validateArguments: true,
  maxArgumentBytes: DEFAULT_STRUCTURAL_LIMITS.maxBytes,
  maxArgumentDepth: DEFAULT_STRUCTURAL_LIMITS.maxDepth,
  maxArgumentStringLength: DEFAULT_STRUCTURAL_LIMITS.maxStringLength,
  rateLimit: undefined,
  toolsRateLimit: {},
};

export function providerSecurityOf(spec: Pick<ProviderSpec, "security"> | undefined): ProviderSecuritySpec {
  return spec?.security ?? DEFAULT_PROVIDER_SECURITY;
}

export interface SecurityControlsOptions {
  frontEnd: FrontEnd;
  /** The provider specs as the runtime knows them now (providers may come and go). */
  specOf: (providerId: string) => ProviderSpec | undefined;
  /** A group's member ids (undefined for a provider): a call to a group may reach any member, so each member's controls apply. */
  membersOf?: (id: string) => string[] | undefined;
  /** Refusals are published here (ToolInvocationFailed, kind `rejected`), for metrics, logs and audit. */
  events?: DomainEventBus;
  /** Milliseconds; a fake clock in tests. */
  clock?: () => number;
  /** A tool's inputSchema that ajv cannot compile (the tool then goes unvalidated). */
  onUncompilableSchema?: (error: unknown) => void;
}

/** A provider tool call as the front end resolved it. */
export interface ToolCallTarget {
  providerId: string;
  /** The provider's own tool name. */
  toolName: string;
  /** Its flat name (`math__add`), for per-principal allow lists. */
  flatName: string;
  /** The tool as listed (predefined or live), when known: its inputSchema is what arguments must fit. */
  tool: Tool | undefined;
}

/**
 * The security controls between a front end and the supervisor, in the order a call meets them:
 * who may see and call what (admin gate, per-principal allow lists, the providers' tool filters),
 * rate limits at three levels, then the arguments (structural limits, the tool's inputSchema).
 * All of it runs before INVOKE reaches the supervisor, so a refused call never starts a provider.
 * One instance per front end (its buckets are shared by every session).
 */
export class SecurityControls {
  readonly adminGate: AdminGate;
  readonly rateLimiter: RateLimiter;
  private readonly principalTools: PrincipalTools;
  private readonly validator: ArgumentValidator;

  constructor(
    config: Pick<HangarConfig, "providers" | "security">,
    private readonly options: SecurityControlsOptions,
  ) {
    this.adminGate = new AdminGate(config.security?.adminTools, options.frontEnd);
    this.principalTools = new PrincipalTools(config.security?.principalAllowTools ?? {});
    this.rateLimiter = new RateLimiter(
      {
        providers: new Map(config.providers.map((spec) => [spec.id, providerSecurityOf(spec)])),
        principal: config.security?.principalRateLimit,
      },
      options.clock,
    );
    this.validator = new ArgumentValidator(
      options.onUncompilableSchema ??
        ((error) => {
          log.warn(`a tool's inputSchema cannot be compiled, so its arguments go unchecked: ${String(error)}`);
        }),
    );
  }

  /** Whether `caller` sees (and may call) the registry tool `name`. */
  registryToolVisible(caller: Caller, name: string): boolean {
    if (AdminGate.isAdminTool(name) && !this.adminGate.allows(caller)) return false;
    return this.principalTools.allows(caller, name);
  }

  /** Whether `caller` sees (and may call) the provider tool listed as `flatName`. */
  providerToolVisible(caller: Caller, flatName: string): boolean {
    return !this.principalTools.active || this.principalTools.allows(caller, flatName);
  }

  /** A registry tool call: throws the JSON-RPC error of a refusal. */
  admitRegistryCall(caller: Caller, name: string): void {
    if (AdminGate.isAdminTool(name) && !this.adminGate.allows(caller)) {
      this.refuse(undefined, name, caller, "not_allowed", ErrorCode.InvalidParams, this.adminGate.refusal(name));
    }
    if (!this.principalTools.allows(caller, name)) {
      this.refuse(undefined, name, caller, "not_allowed", ErrorCode.InvalidParams, notAllowedMessage(caller, name));
    }
    // The invoking tools' provider call meets the principal's limit in admitToolCall: counted once.
    if (this.rateLimiter.active && !INVOKING_TOOLS.has(name)) {
      this.throwIfLimited(this.rateLimiter.admit(undefined, undefined, caller.principal), undefined, name, caller);
    }
  }

  /**
   * A provider tool call: throws the JSON-RPC error of a refusal (not allowed, rate limited);
   * returns the `isError` result for arguments that break the limits or the tool's schema (so the
   * model can correct itself); undefined when the call may go to the provider.
   */
  admitToolCall(caller: Caller, target: ToolCallTarget, args: Record<string, unknown> | undefined): CallToolResult | undefined {
    const security = providerSecurityOf(this.options.specOf(target.providerId));
    // A group's call may land on any member: every member's filter and argument limits apply too.
    // (Providers, the common case, take the path without a list of members: nothing allocated.)
    const memberIds = this.options.membersOf?.(target.providerId);
    this.refuseIfFiltered(security, caller, target);
    if (memberIds !== undefined) for (const id of memberIds) this.refuseIfFiltered(this.securityOf(id), caller, target);
    if (!this.providerToolVisible(caller, target.flatName)) {
      this.refuse(target.providerId, target.toolName, caller, "not_allowed", ErrorCode.InvalidParams, notAllowedMessage(caller, target.flatName));
    }
    if (this.rateLimiter.active) {
      this.throwIfLimited(this.rateLimiter.admit(target.providerId, target.toolName, caller.principal), target.providerId, target.toolName, caller);
    }
    let violations = this.violations(security, target.tool, args);
    if (memberIds !== undefined) for (const id of memberIds) violations ??= this.violations(this.securityOf(id), target.tool, args);
    if (violations === undefined) return undefined;
    const text = invalidArgumentsText(target, violations);
    this.publish(target.providerId, target.toolName, caller, "invalid_arguments", text);
    const result = failureResult("rejected", text);
    return { ...result, _meta: { ...result._meta, "mcp-hangar/violations": violations } };
  }

  private securityOf(providerId: string): ProviderSecuritySpec {
    return providerSecurityOf(this.options.specOf(providerId));
  }

  private refuseIfFiltered(security: ProviderSecuritySpec, caller: Caller, target: ToolCallTarget): void {
    const filtered = toolFilterOf(security).refusal(target.toolName);
    if (filtered === undefined) return;
    const message = `tool '${target.toolName}' of provider '${target.providerId}' is not available: ${filtered}`;
    this.refuse(target.providerId, target.toolName, caller, "not_allowed", ErrorCode.InvalidParams, message);
  }

  private violations(security: ProviderSecuritySpec, tool: Tool | undefined, args: Record<string, unknown> | undefined): ArgumentViolation[] | undefined {
    const structural = checkStructure(args ?? {}, {
      maxBytes: security.maxArgumentBytes,
      maxDepth: security.maxArgumentDepth,
      maxStringLength: security.maxArgumentStringLength,
    });
    if (structural !== undefined) return [structural];
    if (!security.validateArguments || tool === undefined) return undefined;
    return this.validator.validate(tool.inputSchema, args ?? {});
  }

  private throwIfLimited(refusal: RateLimitRefusal | undefined, providerId: string | undefined, tool: string, caller: Caller): void {
    if (refusal === undefined) return;
    const data = { limit: refusal.level, retry_after_ms: refusal.retryAfterMs, retry_after_s: refusal.retryAfterMs / 1000 };
    this.refuse(providerId, tool, caller, `rate_limited_${refusal.level}`, RATE_LIMITED_CODE, describeRateLimitRefusal(refusal), data);
  }

  private refuse(
    providerId: string | undefined,
    tool: string,
    caller: Caller,
    reason: RefusalReason,
    code: number,
    message: string,
    data?: unknown,
  ): never {
    this.publish(providerId, tool, caller, reason, message);
    throw new RpcError(code, message, data);
  }

  private publish(providerId: string | undefined, tool: string, caller: Caller, reason: RefusalReason, message: string): void {
    this.options.events?.publish("security", {
      type: "ToolInvocationFailed",
      providerId: providerId ?? "",
      tool,
      correlationId: randomUUID(),
      ...(caller.principal === undefined ? {} : { principal: caller.principal }),
      kind: "rejected",
      message,
      refusal: reason,
      // Never reached the provider: not one of its calls (audit replay counts by this).
      stage: "refused",
    });
  }
}

function notAllowedMessage(caller: Caller, flatName: string): string {
  return `tool '${flatName}' is not available to principal '${caller.principal ?? ""}' (http.auth.principals.${caller.principal ?? ""}.allow_tools)`;
}

function invalidArgumentsText(target: ToolCallTarget, violations: readonly ArgumentViolation[]): string {
  const lines = violations.map((violation) => `- ${violation.path === "" ? "(arguments)" : violation.path}: ${violation.message}`);
  return (
    `invalid arguments for tool '${target.toolName}' of provider '${target.providerId}' — the provider was not called. ` +
    `Fix these and call again:\n${lines.join("\n")}`
  );
}
