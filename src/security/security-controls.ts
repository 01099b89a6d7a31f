import { ErrorCode, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { HangarConfig, ProviderSecuritySpec, ProviderSpec } from "../config/types.js";
import type { DomainEventBus } from "../observability/domain-event-bus.js";
import { log } from "../observability/log.js";
import type { MemberAdmission } from "../machines/call.js";
import { failureResult } from "../transports/outcome-result.js";
import { AdminGate, type Caller, type FrontEnd } from "./admin-gate.js";
import { ArgumentValidator, type ArgumentViolation } from "./argument-validator.js";
import { PrincipalProviders } from "./principal-providers.js";
import { PrincipalTools } from "./principal-tools.js";
import { describeRateLimitRefusal, hasRateLimits, RateLimiter } from "./rate-limiter.js";
import { invalidArgumentsText, notAllowedMessage, RATE_LIMITED_CODE, rateLimitData, Refusals, type RefusalSubject } from "./refusals.js";
import { requestFiltersOf } from "./request-filters.js";
import { checkStructure, DEFAULT_STRUCTURAL_LIMITS } from "./structural-limits.js";
import { toolFilterOf } from "./tool-filter.js";

export { RATE_LIMITED_CODE } from "./refusals.js";

/** Registry tools whose provider call meets the principal's limit in admitToolCall (checked-invoke.ts). */
const INVOKING_TOOLS: ReadonlySet<string> = new Set(["registry_invoke", "registry_invoke_ex", "registry_invoke_stream"]);

/** What every provider gets when its config says nothing (hand-built specs in tests, too). */
export const DEFAULT_PROVIDER_SECURITY: ProviderSecuritySpec = {
  allowTools: undefined,
  denyTools: [],
  allowPrompts: undefined,
  denyPrompts: [],
  allowResources: undefined,
  denyResources: [],
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
  /**
   * The provider specs as the runtime knows them now (providers may come and go): every
   * provider's own filters, limits and argument checks are read from here at each call, so a
   * discovered provider and a provider whose spec a reload replaced are held to their spec.
   */
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

/** A request other than tools/call that the client addresses to one provider (resources/read, prompts/get, …). */
export interface ProviderRequestTarget {
  providerId: string;
  method: string;
  /** The prompt it names (the provider's own name), for allow_prompts / deny_prompts. */
  prompt?: string;
  /** The resource URI it names, for allow_resources / deny_resources. */
  uri?: string;
}


/**
 * The security controls between a front end and the supervisor, in the order a call meets them:
 * who may see and call what (admin gate, per-principal allow lists, the providers' tool filters),
 * rate limits at three levels, then the arguments (structural limits, the tool's inputSchema).
 * All of it runs before INVOKE reaches the supervisor, so a refused call never starts a provider.
 * One instance per front end (its buckets are shared by every session). The hangar-wide part
 * (admin gate, principals) comes from the config at start-up; each provider's part from its
 * current spec (`specOf`). Refusals are published and thrown by refusals.ts.
 */
export class SecurityControls {
  readonly adminGate: AdminGate;
  readonly rateLimiter: RateLimiter;
  private readonly principalTools: PrincipalTools;
  private readonly principalProviders: PrincipalProviders;
  private readonly validator: ArgumentValidator;
  private readonly refusals: Refusals;

  constructor(
    config: Pick<HangarConfig, "security">,
    private readonly options: SecurityControlsOptions,
  ) {
    this.adminGate = new AdminGate(config.security?.adminTools, options.frontEnd);
    this.principalTools = new PrincipalTools(config.security?.principalAllowTools ?? {});
    this.principalProviders = new PrincipalProviders(config.security?.principalProviders ?? {});
    this.refusals = new Refusals(options.events);
    this.rateLimiter = new RateLimiter(
      { limitsOf: (providerId) => this.securityOf(providerId), principal: config.security?.principalRateLimit },
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

  /** Whether `caller` sees (and may call) the provider tool listed as `flatName` of `providerId`. */
  providerToolVisible(caller: Caller, flatName: string, providerId: string): boolean {
    return this.providerVisible(caller, providerId) && (!this.principalTools.active || this.principalTools.allows(caller, flatName));
  }

  /** Whether `caller` may reach `providerId` at all (allow_providers / deny_providers): lists leave the others out. */
  providerVisible(caller: Caller, providerId: string): boolean {
    return !this.principalProviders.active || this.principalProviders.allows(caller, providerId);
  }

  /**
   * The providers `caller` may reach, for fan-outs (lists, logging/setLevel) to ask only those;
   * undefined when it reaches every provider (no lists for it), so the common case costs nothing.
   */
  reachOf(caller: Caller): ((providerId: string) => boolean) | undefined {
    if (!this.principalProviders.active || !this.principalProviders.restricts(caller)) return undefined;
    return (providerId) => this.principalProviders.allows(caller, providerId);
  }

  /**
   * Equal for two callers only when every *Visible check above answers them alike, so lists
   * built for one may be shown to the other (tool-lists.ts caches tools/list per key). What those
   * checks read of a caller: whether the admin gate lets it in (its roles), and — only when some
   * principal has allow_tools or provider lists — its principal. Any new per-caller rule in
   * them must be part of this key, or one principal would be shown another's list.
   */
  viewKey(caller: Caller): string {
    const admin = this.adminGate.allows(caller) ? "admin" : "user";
    if (!this.principalTools.active && !this.principalProviders.active) return admin;
    return caller.principal === undefined ? `${admin}:anonymous` : `${admin}:principal:${caller.principal}`;
  }

  /**
   * A call to a provider (or group) the caller may not reach: the caller is answered as for an
   * unknown name (nothing tells it the provider exists), but the attempt is published as a
   * refusal like any other, so the audit trail, logs and metrics still see it.
   */
  recordHiddenCall(caller: Caller, providerId: string, subject: string, args?: Record<string, unknown>): void {
    const principal = caller.principal ?? "";
    this.refusals.publish({ providerId, subject, arguments: args }, caller, "not_allowed", `provider '${providerId}' is not available to principal '${principal}' (http.auth.principals.${principal}.allow_providers / deny_providers); answered as an unknown name`);
  }

  /**
   * A registry tool call refused for its arguments (wrong types, an unknown provider, group or
   * tool): published like the refusals above — the audit trail, logs and metrics see it — with
   * the arguments as given. `what.providerId` is the id the arguments named, known or not.
   */
  recordInvalidRegistryCall(caller: Caller, what: RefusalSubject, message: string, args: Record<string, unknown>): void {
    this.refusals.publish({ ...what, arguments: args }, caller, "invalid_arguments", message);
  }

  /** Whether a provider's prompt (its own name) exists for clients (allow_prompts / deny_prompts). */
  promptVisible(providerId: string, prompt: string): boolean {
    return requestFiltersOf(this.securityOf(providerId)).prompts.allows(prompt);
  }

  /** Whether a provider's resource exists for clients (allow_resources / deny_resources). */
  resourceVisible(providerId: string, uri: string): boolean {
    return requestFiltersOf(this.securityOf(providerId)).resources.allows(uri);
  }

  /** A registry tool call: throws the JSON-RPC error of a refusal. */
  admitRegistryCall(caller: Caller, name: string): void {
    const what = { providerId: undefined, subject: name };
    if (AdminGate.isAdminTool(name) && !this.adminGate.allows(caller)) {
      this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, this.adminGate.refusal(name));
    }
    if (!this.principalTools.allows(caller, name)) {
      this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, notAllowedMessage(caller, name));
    }
    // The invoking tools' provider call meets the principal's limit in admitToolCall: counted once.
    if (this.rateLimiter.limitsPrincipals && !INVOKING_TOOLS.has(name)) {
      this.refusals.throwIfLimited(this.rateLimiter.admit(undefined, undefined, caller.principal), what, caller);
    }
  }

  /**
   * A provider tool call: throws the JSON-RPC error of a refusal (not allowed, rate limited);
   * returns the `isError` result for arguments that break the limits or the tool's schema (so the
   * model can correct itself); undefined when the call may go to the provider.
   */
  admitToolCall(caller: Caller, target: ToolCallTarget, args: Record<string, unknown> | undefined): CallToolResult | undefined {
    const security = this.securityOf(target.providerId);
    // Every refusal below carries the arguments, for the audit trail (see Refusals.publish).
    const what = { providerId: target.providerId, subject: target.toolName, arguments: args };
    // A group's call may land on any member: every member's filter and argument limits apply too.
    // (Providers, the common case, take the path without a list of members: nothing allocated.)
    const memberIds = this.options.membersOf?.(target.providerId);
    this.refuseIfProviderDenied(caller, what);
    this.refuseIfFiltered(security, caller, what);
    if (memberIds !== undefined) for (const id of memberIds) this.refuseIfFiltered(this.securityOf(id), caller, what);
    if (this.principalTools.active && !this.principalTools.allows(caller, target.flatName)) {
      this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, notAllowedMessage(caller, target.flatName));
    }
    if (this.rateLimiter.limitsPrincipals || hasRateLimits(security)) {
      this.refusals.throwIfLimited(this.rateLimiter.admit(target.providerId, target.toolName, caller.principal, security), what, caller);
    }
    let violations = this.violations(security, target.tool, args);
    if (memberIds !== undefined) for (const id of memberIds) violations ??= this.violations(this.securityOf(id), target.tool, args);
    if (violations === undefined) return undefined;
    const text = invalidArgumentsText(target.providerId, target.toolName, violations);
    this.refusals.publish(what, caller, "invalid_arguments", text);
    const result = failureResult("rejected", text);
    return { ...result, _meta: { ...result._meta, "mcp-hangar/violations": violations } };
  }

  /**
   * The admission of every other request a client addresses to one provider — the same principal
   * and provider checks and the same rate-limit buckets as a tool call (a resources/read spends a
   * token of the provider's and of the principal's bucket), plus the provider's prompt and
   * resource filters. Throws the JSON-RPC error of a refusal; returns when the request may go.
   */
  admitRequest(caller: Caller, target: ProviderRequestTarget): void {
    const subject = target.prompt ?? target.uri ?? target.method;
    const what = { providerId: target.providerId, subject };
    this.refuseIfProviderDenied(caller, what);
    const security = this.securityOf(target.providerId);
    const filters = requestFiltersOf(security);
    const filtered =
      (target.prompt === undefined ? undefined : filters.prompts.refusal(target.prompt)) ??
      (target.uri === undefined ? undefined : filters.resources.refusal(target.uri));
    if (filtered !== undefined) {
      const named = target.prompt === undefined ? `resource '${subject}'` : `prompt '${subject}'`;
      const message = `${named} of provider '${target.providerId}' is not available: ${filtered}`;
      this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, message);
    }
    if (this.rateLimiter.limitsPrincipals || hasRateLimits(security)) {
      this.refusals.throwIfLimited(this.rateLimiter.admit(target.providerId, undefined, caller.principal, security), what, caller);
    }
  }

  /**
   * For a call to a group: each member the group picks is admitted against its own rate limits too
   * (its rate_limit, and tools_rate_limit for `tool`) — a provider's limit protects it whichever
   * way it is reached. A refused member is skipped by the group, which refuses the call (and
   * publishes the refusal) only when every member is out. Undefined when `targetId` is no group
   * or no limits are configured.
   */
  memberAdmission(targetId: string, tool: string | undefined): MemberAdmission | undefined {
    const memberIds = this.options.membersOf?.(targetId);
    if (memberIds === undefined || !memberIds.some((id) => hasRateLimits(this.securityOf(id)))) return undefined;
    return (memberId) => {
      // The member's limits as its spec says when the group picks it.
      const refusal = this.rateLimiter.admit(memberId, tool, undefined, this.securityOf(memberId));
      if (refusal === undefined) return undefined;
      const outcome = { status: "rpc_error", kind: "tool_error", code: RATE_LIMITED_CODE, message: describeRateLimitRefusal(refusal), data: rateLimitData(refusal) } as const;
      return { outcome, reason: `rate_limited_${refusal.level}`, retryAfterMs: refusal.retryAfterMs };
    };
  }

  private refuseIfProviderDenied(caller: Caller, what: RefusalSubject & { providerId: string }): void {
    if (!this.principalProviders.active) return;
    const denied = this.principalProviders.refusal(caller, what.providerId);
    if (denied !== undefined) this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, denied);
  }

  private securityOf(providerId: string): ProviderSecuritySpec {
    return providerSecurityOf(this.options.specOf(providerId));
  }

  /** `what`: the tool call (its provider, the tool's own name, its arguments). */
  private refuseIfFiltered(security: ProviderSecuritySpec, caller: Caller, what: RefusalSubject & { providerId: string }): void {
    const filtered = toolFilterOf(security).refusal(what.subject);
    if (filtered === undefined) return;
    const message = `tool '${what.subject}' of provider '${what.providerId}' is not available: ${filtered}`;
    this.refusals.refuse(what, caller, "not_allowed", ErrorCode.InvalidParams, message);
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
}
