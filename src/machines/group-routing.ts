import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { MemberRetryPolicy } from "../config/types.js";
import type { GroupStateName } from "../shared/domain-events.js";
import { isRetrySafe } from "../shared/retry-safety.js";
import type { CallOutcome } from "./call.js";
import { bestPriority, STRATEGIES, type Pick } from "./group-strategies/index.js";
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
 * The member's outcome with the group's `_meta`: which member answered and what was retried.
 * The content is the member's, unchanged (a shallow copy of the result object, never re-encoded).
 */
export function annotateOutcome(outcome: CallOutcome, groupId: string, member: string, retried: readonly RetryRecord[]): CallOutcome {
  const meta: Record<string, unknown> = { "mcp-hangar/group": groupId, "mcp-hangar/member": member };
  if (retried.length > 0) meta["mcp-hangar/retried"] = retried;
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
