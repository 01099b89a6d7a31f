import { z } from "zod";
import type { GroupView } from "../machines/group-view.js";
import { defineTool, jsonResult, type ErasedRegistryTool, type RegistryContext } from "./registry-tool-kit.js";
import { RegistryRefusal } from "./registry-refusal.js";
import { knownGroups, reachOf, type Reach } from "./caller-reach.js";

/** The group tools: registry_group_list and registry_group_rebalance (docs/groups.md). */

function requireGroup(context: RegistryContext, reach: Reach, groupId: string): GroupView {
  const view = context.runtime.groupView(groupId);
  if (view !== undefined && reach(groupId)) return view;
  throw new RegistryRefusal(
    `unknown group '${groupId}'; known groups: ${knownGroups(context, reach).join(", ") || "(none: define one with mode: group)"}`,
    { providerId: groupId, hidden: view !== undefined },
  );
}

/** A group as the caller may see it: members it may not reach are left out (their ids, states and which one is preferred or active). */
function describeGroup(view: GroupView, auto: boolean, reach: Reach): Record<string, unknown> {
  const hidden = (id: string | undefined) => (id === undefined || reach(id) ? id : undefined);
  return {
    id: view.id,
    // Made for discovered (or `group:`-keyed) providers; it goes with its last member.
    auto,
    description: view.description,
    state: view.state,
    strategy: view.strategy,
    min_healthy: view.minHealthy,
    preferred: hidden(view.preferred),
    active: hidden(view.active),
    retry_on_member_failure: view.retryOnMemberFailure,
    max_attempts: view.maxAttempts,
    failover: { auto_failback: view.failover.autoFailback, failback_delay_s: view.failover.failbackDelayS },
    members: view.members.filter((member) => reach(member.id)).map((member) => ({
      id: member.id,
      weight: member.weight,
      priority: member.priority,
      state: member.state,
      breaker: member.breaker,
      in_rotation: member.inRotation,
      in_flight: member.inFlight,
      preferred: member.id === view.preferred,
      active: member.active,
    })),
  };
}

const groupArg = z.string().min(1).describe("Group id, as in the config");

const registryGroupList = defineTool({
  name: "registry_group_list",
  description:
    "List provider groups (or one): state (HEALTHY, PARTIAL, INACTIVE), strategy, and each member's weight, priority, state, breaker, in-flight calls, and which member is preferred.",
  schema: z.object({ group: groupArg.optional() }),
  readOnly: true,
  run: ({ group }, context, extra) => {
    const reach = reachOf(context, extra);
    const ids = group === undefined ? knownGroups(context, reach) : [requireGroup(context, reach, group).id];
    const groups = ids.flatMap((id) => {
      const view = context.runtime.groupView(id);
      return view === undefined ? [] : [describeGroup(view, context.runtime.isAutoGroup(id), reach)];
    });
    return Promise.resolve(jsonResult({ groups }));
  },
});

const registryGroupRebalance = defineTool({
  name: "registry_group_rebalance",
  description:
    "Recompute a group's rotation from its members' current states: the strategy starts afresh and traffic returns to the preferred member. In-flight calls are not dropped.",
  schema: z.object({ group: groupArg }),
  readOnly: false,
  run: async ({ group }, context, extra) => {
    const reach = reachOf(context, extra);
    requireGroup(context, reach, group);
    await context.runtime.rebalanceGroup(group);
    const view = context.runtime.groupView(group);
    return jsonResult({ rebalanced: true, ...(view === undefined ? {} : describeGroup(view, context.runtime.isAutoGroup(group), reach)) });
  },
});

export const GROUP_TOOLS: ErasedRegistryTool[] = [registryGroupList, registryGroupRebalance];
