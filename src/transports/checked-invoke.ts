import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CallOutcome, CallProgress } from "../machines/call.js";
import type { InvokeOptions } from "../runtime/hangar-runtime.js";
import { ANONYMOUS } from "../security/admin-gate.js";
import { reachOf, requireProviderOrGroup } from "./caller-reach.js";
import { recordedRefusal, type RegistryCallExtra, type RegistryContext } from "./registry-tool-kit.js";
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

/** A call registry_invoke's checks let through: where it goes and the runtime's options for it. */
export interface AdmittedInvoke {
  providerId: string;
  tool: string;
  /** The tool's definition, when the provider's (or predefined) list has it. */
  definition: Tool | undefined;
  options: InvokeOptions;
}

/**
 * registry_invoke's checks, shared by registry_invoke_ex and registry_invoke_stream and by the
 * front end's quick route for a plain registry_invoke (quickInvoke): the provider (or group)
 * must exist, the security controls admit the call, and a tool its live list does not have is
 * refused (a RegistryRefusal thrown). Admitted, the call carries the caller's signal, progress
 * and origin.
 */
export function admitInvoke(args: InvokeArgs, context: RegistryContext, extra: RegistryCallExtra, overrides: InvokeOverrides = {}): { refused: CallToolResult } | AdmittedInvoke {
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
  const options: InvokeOptions = {
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
  };
  return { providerId: args.provider, tool: args.tool, definition: tool, options };
}

/** registry_invoke's way to a provider tool (admitInvoke's checks), awaiting the call's outcome. */
export async function checkedInvoke(
  args: InvokeArgs,
  context: RegistryContext,
  extra: RegistryCallExtra,
  overrides: InvokeOverrides = {},
): Promise<CheckedOutcome> {
  const admitted = admitInvoke(args, context, extra, overrides);
  if ("refused" in admitted) return admitted;
  const outcome = await context.runtime.invoke(admitted.providerId, admitted.tool, args.arguments, admitted.options);
  return { outcome, tool: admitted.definition };
}

/**
 * A plain registry_invoke on the front end's quick route (see QuickToolCall), its arguments
 * already found plain (plainInvokeArgs): admitted as registry_invoke admits them (admitInvoke; a
 * refusal is recorded as the tool kit records it, then thrown) and dispatched without a promise.
 * `answer` is called exactly once, with the result or the security controls' refusal.
 */
export function quickInvoke(args: InvokeArgs, context: RegistryContext, extra: RegistryCallExtra, answer: (produce: () => CallToolResult) => void): void {
  let admitted: ReturnType<typeof admitInvoke>;
  try {
    admitted = admitInvoke(args, context, extra);
  } catch (error) {
    throw recordedRefusal(error, context, extra, "registry_invoke", args);
  }
  if ("refused" in admitted) {
    const refused = admitted.refused;
    answer(() => refused);
    return;
  }
  context.runtime.dispatch(admitted.providerId, admitted.tool, args.arguments, admitted.options, (outcome) => {
    answer(() => outcomeToResult(outcome));
  });
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
