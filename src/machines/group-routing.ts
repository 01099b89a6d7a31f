import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { MemberRetryPolicy } from "../config/types.js";
import type { DomainEvent, GroupStateName } from "../shared/domain-events.js";
import { isRetrySafe } from "../shared/retry-safety.js";
import { failure, type CallOutcome, type MemberAdmission, type MemberRefusal, type ToolCall } from "./call.js";
import { bestPriority, STRATEGIES, type Pick, type StrategyMemory } from "./group-strategies/index.js";
import type { GroupContext, GroupMemberState, RetryRecord } from "./group-types.js";

/** The group chart's pure decisions: who is in rotation, who takes a call, what is retried. */

/** In rotation unless DEAD, RECOVERING (refusing calls until its restart) or its breaker is OPEN; COLD counts (it starts lazily). */
export function isInRotation(member: GroupMemberState): boolean {
  return member.state !== "DEAD" && member.state !== "RECOVERING" && member.breaker !== "OPEN";
}

/**
 * Healthy enough to fail back to: serving READY (or COLD, ready to start on the next call) with
 * its breaker CLOSED. A member still INITIALIZING, DEGRADED or half-open is in rotation but not
 * yet trusted with all the traffic.
 */
export function isHealthyForFailback(member: GroupMemberState): boolean {
  return (member.state === "READY" || member.state === "COLD") && member.breaker === "CLOSED";
}

export function rotationOf(members: readonly GroupMemberState[]): GroupMemberState[] {
  return members.filter(isInRotation);
}

export function groupStateFor(inRotation: number, minHealthy: number): GroupStateName {
  if (inRotation === 0) return "INACTIVE";
  return inRotation >= minHealthy ? "HEALTHY" : "PARTIAL";
}

/** priority: the best member in rotation (lowest number, first listed on a tie). */
export function bestInRotation(rotation: readonly GroupMemberState[]): string | undefined {
  const best = bestPriority(rotation);
  return rotation.find((member) => member.priority === best)?.id;
}

/** The member with the lowest priority number of all (in rotation or not): the one failback returns to. */
export function preferredMember(members: readonly GroupMemberState[]): string | undefined {
  const best = bestPriority(members);
  return members.find((member) => member.priority === best)?.id;
}

/**
 * The member that takes a call, skipping those already tried for it; undefined when none is left.
 * priority follows `active` (the failover pin) while it is in rotation.
 */
export function pickMember(context: GroupContext, tried: readonly string[]): Pick | undefined {
  const candidates = tried.length === 0 ? context.rotation : context.rotation.filter((member) => !tried.includes(member.id));
  if (candidates.length === 0) return undefined;
  if (context.spec.strategy === "priority" && context.active !== undefined && candidates.some((m) => m.id === context.active)) {
    return { id: context.active, memory: context.memory };
  }
  return STRATEGIES[context.spec.strategy]({
    candidates,
    memory: context.memory,
    inFlight: context.inFlight,
    random: context.random(),
  });
}

/** The strategy's pick among the members its limits admit, and the members they refused on the way. */
export interface AdmittedPick {
  pick: Pick | undefined;
  /** Members the strategy picked whose own limits refused the call, in the order they were picked. */
  refused: { member: string; refusal: MemberRefusal }[];
}

/**
 * The member that takes a call, skipping those already tried (or refused) for it and those whose
 * own limits refuse it now: a refused member is left out and the strategy picks again from the
 * rest — the next member in its order — so a group is refused only when every member in rotation
 * is. `admit` is the call's member admission (token-bucket bookkeeping, no I/O); without it the
 * first pick stands. A skipped pick still advances the strategy's memory, as a served one does.
 */
export function pickAdmitted(context: GroupContext, exclude: readonly string[], admit: MemberAdmission | undefined): AdmittedPick {
  const refused: AdmittedPick["refused"] = [];
  let skipped = exclude;
  let memory = context.memory;
  for (;;) {
    const pick = pickMember(memory === context.memory ? context : { ...context, memory }, skipped);
    if (pick === undefined || admit === undefined) return { pick, refused };
    const refusal = admit(pick.id);
    if (refusal === undefined) return { pick, refused };
    refused.push({ member: pick.id, refusal });
    skipped = [...skipped, pick.id];
    memory = pick.memory;
  }
}

/**
 * Where a new call goes: to a member (`send`, with the strategy's memory after the pick and the
 * members skipped over their limits), or back to the caller at once (`answer`, with the failure
 * event the group announces when its members' limits refused it). One decision for the chart
 * (dispatchCall) and for the group's serving lane, so both route alike.
 */
export type CallRoute =
  | { kind: "send"; member: string; memory: StrategyMemory; limited: string[] }
  | { kind: "answer"; outcome: CallOutcome; failed: CallFailed | undefined };

export function routeCall(context: GroupContext, call: ToolCall): CallRoute {
  // The members' own limits apply to a call through the group: a member over its limit is skipped.
  const { pick, refused } = pickAdmitted(context, [], call.admitMember);
  if (pick !== undefined) return { kind: "send", member: pick.id, memory: pick.memory, limited: refused.map((item) => item.member) };
  if (refused.length === 0) return { kind: "answer", outcome: failure("unavailable", inactiveMessage(context)), failed: undefined };
  const outcome = allMembersRefused(context.spec.id, refused);
  const refusal = refused[0]?.refusal.reason ?? "rate_limited_provider";
  return { kind: "answer", outcome, failed: groupCallFailed(context.spec.id, call, { kind: "rejected", message: outcome.message, refusal, stage: "refused" }) };
}

export type CallFailed = Extract<DomainEvent, { type: "ToolInvocationFailed" }>;

/** A call the group itself answered with a failure (no member ran it), for metrics, logs and audit. */
export function groupCallFailed(groupId: string, call: ToolCall, details: Omit<CallFailed, "type" | "providerId" | "tool" | "correlationId" | "principal">): CallFailed {
  return { type: "ToolInvocationFailed", providerId: groupId, tool: call.tool, correlationId: call.correlationId, principal: call.principal, ...details };
}

/**
 * The answer when every member in rotation refused a call by its own limits: one -32029 error that
 * says so, each member's reason in the message and in `data.members`, and the soonest retry.
 */
export function allMembersRefused(groupId: string, refused: AdmittedPick["refused"]): Extract<CallOutcome, { status: "rpc_error" }> {
  const retryAfterMs = Math.min(...refused.map((item) => item.refusal.retryAfterMs));
  // Each member's message names it ("rate limit exceeded for provider 'a' …").
  const reasons = refused.map((item) => item.refusal.outcome.message).join("; ");
  const code = refused[0]?.refusal.outcome.code ?? -32029;
  return {
    status: "rpc_error",
    kind: "tool_error",
    code,
    message: `every member of group '${groupId}' is over its rate limit (${reasons}); retry after ${formatSeconds(retryAfterMs)} s`,
    data: {
      limit: "group_members",
      retry_after_ms: retryAfterMs,
      retry_after_s: retryAfterMs / 1000,
      members: Object.fromEntries(refused.map((item) => [item.member, item.refusal.outcome.data])),
    },
  };
}

function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3).replace(/\.?0+$/, "");
}

/** Failures where the member never ran the call: trying another member cannot run it twice. */
const NEVER_RAN = new Set<string>(["unavailable", "start_failed"]);
/** Failures where the member may have run part of it: retried only per retry_on_member_failure. */
const MAY_HAVE_RUN = new Set<string>(["transport", "crash", "timeout"]);

/**
 * Whether a failed attempt goes to another member. `never` retries nothing; a call the member
 * never ran (refused, failed start) is always safe to send elsewhere; a transport error, crash or
 * timeout is retried with `always`, and with `auto` only for tools annotated readOnlyHint or
 * idempotentHint — so a non-idempotent call never runs twice.
 */
export function shouldRetry(
  outcome: CallOutcome,
  policy: MemberRetryPolicy,
  annotations: ToolAnnotations | undefined,
  cancelled: boolean,
): boolean {
  if (outcome.status !== "failure" || policy === "never" || cancelled) return false;
  if (NEVER_RAN.has(outcome.kind)) return true;
  if (!MAY_HAVE_RUN.has(outcome.kind)) return false;
  return policy === "always" || isRetrySafe(annotations);
}

/**
 * The member's outcome with the group's `_meta`: which member answered, what was retried, and
 * which members were skipped over their rate limits.
 * The content is the member's, unchanged (a shallow copy of the result object, never re-encoded).
 */
export function annotateOutcome(
  outcome: CallOutcome,
  groupId: string,
  member: string,
  retried: readonly RetryRecord[],
  limited: readonly string[] = [],
): CallOutcome {
  const meta: Record<string, unknown> = { "mcp-hangar/group": groupId, "mcp-hangar/member": member };
  if (retried.length > 0) meta["mcp-hangar/retried"] = retried;
  // Members skipped because their own rate limits refused the call.
  if (limited.length > 0) meta["mcp-hangar/rate_limited"] = limited;
  switch (outcome.status) {
    case "result":
      return { ...outcome, result: { ...outcome.result, _meta: { ...outcome.result._meta, ...meta } } };
    case "failure":
      return { ...outcome, meta: { ...outcome.meta, ...meta } };
    case "rpc_error":
      return outcome;
  }
}

/** Why the group cannot take a call: each member and what keeps it out. */
export function inactiveMessage(context: GroupContext): string {
  const why = context.members.map((member) => `${member.id}: ${member.breaker === "OPEN" ? "breaker OPEN" : member.state}`).join(", ");
  return `group '${context.spec.id}' is INACTIVE: none of its ${context.members.length} members is available (${why})`;
}
