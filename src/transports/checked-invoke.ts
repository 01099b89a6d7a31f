import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CallOutcome, CallProgress } from "../machines/call.js";
import { ANONYMOUS } from "../security/admin-gate.js";
import { reachOf, requireProviderOrGroup } from "./caller-reach.js";
import type { RegistryCallExtra, RegistryContext } from "./registry-tool-kit.js";
import { RegistryRefusal } from "./registry-refusal.js";
import { flatToolName } from "./tool-names.js";
import { outcomeToResult } from "./outcome-result.js";

export interface InvokeArgs {
  provider: string;
  tool: string;
  arguments?: Record<string, unknown>;
  timeout_s?: number;
}

export interface InvokeOverrides {
  correlationId?: string;
  onProgress?: (progress: CallProgress) => void;
  /** Handed the outcome as soon as the call settles (see InvokeOptions.onOutcome). */
  onOutcome?: (outcome: CallOutcome) => void;
}

/** A call the security controls refused (an isError result), or the call's outcome. */
export type CheckedOutcome = { refused: CallToolResult } | { outcome: CallOutcome; tool: Tool | undefined };

/**
 * registry_invoke's way to a provider tool, shared by registry_invoke_ex and registry_invoke_stream:
 * the provider (or group) must exist, the security controls admit the call, a tool its live list
 * does not have is refused, and the call carries the caller's signal, progress and origin.
 */
export async function checkedInvoke(
  args: InvokeArgs,
  context: RegistryContext,
  extra: RegistryCallExtra,
  overrides: InvokeOverrides = {},
): Promise<CheckedOutcome> {
  // A provider or group the caller may not reach is unknown to it, like one no config has; the
  // attempt is still recorded (audit, logs, metrics), as the tool kit records every refusal.
  const caller = extra.caller ?? ANONYMOUS;
  const flatName = flatToolName(args.provider, args.tool);
  requireProviderOrGroup(context, reachOf(context, extra), args.provider, flatName);
  const known = context.catalogue.entries(args.provider);
  const tool = known.find((entry) => entry.tool.name === args.tool)?.tool;
  const target = { providerId: args.provider, toolName: args.tool, flatName, tool };
  const refused = context.security?.admitToolCall(caller, target, args.arguments);
  if (refused !== undefined) return { refused };
  // Only the provider's own (live) list is authoritative; predefined tools may be a subset, and
  // a provider that never ran lists nothing yet — then the call starts it and it answers.
  const authoritative = known.some((entry) => entry.source === "live");
  if (authoritative && tool === undefined) {
    throw new RegistryRefusal(
      `unknown tool '${args.tool}' of provider '${args.provider}'; known tools: ${known.map((e) => e.tool.name).join(", ")}`,
      { providerId: args.provider, subject: args.tool },
    );
  }
  const outcome = await context.runtime.invoke(args.provider, args.tool, args.arguments, {
    timeoutMs: args.timeout_s === undefined ? undefined : args.timeout_s * 1000,
    signal: extra.signal,
    meta: extra.meta,
    principal: extra.principal,
    onProgress: overrides.onProgress ?? extra.onProgress,
    origin: extra.origin,
    correlationId: overrides.correlationId,
    sessionId: extra.sessionId,
    headers: extra.headers,
    admitMember: context.security?.memberAdmission(args.provider, args.tool),
    onOutcome: overrides.onOutcome,
  });
  return { outcome, tool };
}

/**
 * registry_invoke's call (and registry_invoke_stream's without a progress token): the tool's own
 * result, or the refusal. With the short route's answerFirst the answer leaves as soon as the
 * provider's does, before the hangar's bookkeeping of the call (see RoutedToolCallExtra).
 */
export async function plainInvoke(args: InvokeArgs, context: RegistryContext, extra: RegistryCallExtra): Promise<CallToolResult> {
  const answerFirst = extra.answerFirst;
  const onOutcome =
    answerFirst &&
    ((outcome: CallOutcome) => {
      answerFirst(() => outcomeToResult(outcome));
    });
  const checked = await checkedInvoke(args, context, extra, { onOutcome });
  return "refused" in checked ? checked.refused : outcomeToResult(checked.outcome);
}
