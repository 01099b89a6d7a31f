import type { CallToolRequest, CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { InvokeOptions } from "../runtime/hangar-runtime.js";
import type { Caller } from "../security/admin-gate.js";
import type { SecurityControls } from "../security/security-controls.js";
import type { ClientSession } from "./client-session.js";
import type { ToolCatalogue } from "./tool-catalogue.js";
import type { ToolCallExtra } from "./tool-call-router.js";

/** A tools/call its admission let through: the runtime's options for it, with the provider and tool it goes to. */
export interface AdmittedCall extends InvokeOptions {
  readonly providerId: string;
  readonly tool: string;
}

/**
 * Admits one tools/call by a provider tool's flat name (see toolCallAdmission). `recordHidden`:
 * whether a call to a hidden provider's tool is recorded as refused.
 */
export type ToolCallAdmission = (params: CallToolRequest["params"], extra: ToolCallExtra, caller: Caller, recordHidden: boolean) => AdmittedCall | CallToolResult | undefined;

export interface AdmissionContext {
  catalogue: ToolCatalogue;
  security: SecurityControls;
  /** The MCP session the calls come in on. */
  session: ClientSession;
  /** The session id for traces when the transport has none (stdio). */
  serverSessionId: string;
  /** Whether provider tools are exposed at all (expose is not `registry`). */
  providerTools: boolean;
}

/**
 * The admission of a tools/call, one function for the front end's quick path and its handler (a
 * call with progress to forward, a registry tool), so that a rule added here holds on both.
 *
 * Who asks becomes the session's principal (a provider's requests during the call go back as
 * it). Undefined when the name is no tool of a provider the caller reaches: the handler then tries
 * the registry tools and answers "unknown tool". A hidden provider's tool is recorded as refused
 * only when `recordHidden`: the handler asks for it, the quick path leaves such a call to the
 * handler, so the attempt is recorded once. A CallToolResult is the arguments' refusal (isError);
 * a refusal by config, principal or rate limit throws its JSON-RPC error. Admitted, the answer is
 * the runtime's options for the call with its target — the one object per call the quick path
 * built before, not one more.
 */
export function toolCallAdmission({ catalogue, security, session, serverSessionId, providerTools }: AdmissionContext): ToolCallAdmission {
  return (params, extra, caller, recordHidden) => {
    const principal = caller.principal;
    session.principal = principal;
    if (!providerTools) return undefined;
    const entry = catalogue.resolve(params.name);
    if (entry === undefined) return undefined;
    // A tool of a provider the caller may not reach is as unknown to it as a name no provider
    // has; the attempt is still recorded (audit, logs, metrics).
    if (!security.providerVisible(caller, entry.providerId)) {
      if (recordHidden) security.recordHiddenCall(caller, entry.providerId, entry.flatName);
      return undefined;
    }
    const target = { providerId: entry.providerId, toolName: entry.tool.name, flatName: entry.flatName, tool: entry.tool };
    const refused = security.admitToolCall(caller, target, params.arguments);
    if (refused !== undefined) return refused;
    return {
      providerId: entry.providerId,
      tool: entry.tool.name,
      signal: extra.signal,
      meta: params._meta,
      principal,
      // Set by the handler when it forwards progress or answers first; declared here so every call's options have one shape.
      onProgress: undefined,
      origin: { session, extra },
      // For the call's trace: the session it came in on and (HTTP) a `traceparent` header.
      sessionId: extra.sessionId ?? serverSessionId,
      headers: extra.requestInfo?.headers,
      admitMember: security.memberAdmission(entry.providerId, entry.tool.name),
      onOutcome: undefined,
    };
  };
}

/** The arguments' refusal (an isError result) rather than an admitted call. */
export function isRefusal(admission: AdmittedCall | CallToolResult): admission is CallToolResult {
  return "content" in admission;
}
