import type { GroupStrategy, MemberRetryPolicy } from "../config/types.js";
import type { BreakerStateName, GroupStateName, ProviderStateName } from "../shared/domain-events.js";
import { isInRotation, preferredMember } from "./group-routing.js";
import type { GroupContext } from "./group-types.js";
import type { ListedTool } from "./provider-view.js";

/** What registry_group_list shows of one group. */
export interface GroupMemberView {
  id: string;
  weight: number;
  priority: number;
  state: ProviderStateName;
  breaker: BreakerStateName;
  inRotation: boolean;
  /** Calls the group has sent this member that are not answered yet. */
  inFlight: number;
  /** priority strategy: the member taking the traffic now. */
  active: boolean;
}

export interface GroupView {
  id: string;
  description: string | undefined;
  strategy: GroupStrategy;
  state: GroupStateName;
  minHealthy: number;
  /** The member with the best priority: where traffic goes when it can (failback returns to it). */
  preferred: string | undefined;
  /** priority strategy: the member taking the traffic now (differs from `preferred` after a failover). */
  active: string | undefined;
  members: GroupMemberView[];
  retryOnMemberFailure: MemberRetryPolicy;
  maxAttempts: number;
  failover: { autoFailback: boolean; failbackDelayS: number };
}

export function groupView(context: GroupContext): GroupView {
  return {
    id: context.spec.id,
    description: context.spec.description,
    strategy: context.spec.strategy,
    state: context.state,
    minHealthy: context.spec.minHealthy,
    preferred: preferredMember(context.members),
    active: context.active,
    members: context.members.map((member) => ({
      id: member.id,
      weight: member.weight,
      priority: member.priority,
      state: member.state,
      breaker: member.breaker,
      inRotation: isInRotation(member),
      inFlight: context.inFlight[member.id] ?? 0,
      active: member.id === context.active,
    })),
    retryOnMemberFailure: context.spec.retryOnMemberFailure,
    maxAttempts: context.spec.maxAttempts,
    failover: context.spec.failover,
  };
}

/**
 * A group's tools: the union of its members' tools (live or predefined), by name. The first
 * member listing a tool gives its schema; a tool some member knows live counts as live.
 */
export function groupTools(memberTools: readonly ListedTool[][]): ListedTool[] {
  const byName = new Map<string, ListedTool>();
  for (const tools of memberTools) {
    for (const listed of tools) {
      const known = byName.get(listed.tool.name);
      if (known === undefined) byName.set(listed.tool.name, listed);
      else if (known.source !== "live" && listed.source === "live") byName.set(listed.tool.name, { tool: known.tool, source: "live" });
    }
  }
  return [...byName.values()];
}
