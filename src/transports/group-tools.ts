import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { GroupView } from "../machines/group-view.js";
import { defineTool, jsonResult, type ErasedRegistryTool, type RegistryContext } from "./registry-tool-kit.js";
import { RpcError } from "./rpc-error.js";

/** The group tools: registry_group_list and registry_group_rebalance (docs/groups.md). */

/** registry_invoke takes a provider or a group id. */
export function requireProviderOrGroup(context: RegistryContext, id: string): void {
  if (context.runtime.hasProvider(id) || context.runtime.hasGroup(id)) return;
  const groups = context.runtime.groupIds();
  throw new RpcError(
    ErrorCode.InvalidParams,
    `unknown provider '${id}'; known providers: ${context.runtime.providerIds().join(", ") || "(none)"}` +
      (groups.length > 0 ? `; known groups: ${groups.join(", ")}` : ""),
  );
}

function requireGroup(context: RegistryContext, groupId: string): GroupView {
  const view = context.runtime.groupView(groupId);
  if (view !== undefined) return view;
  throw new RpcError(
    ErrorCode.InvalidParams,
    `unknown group '${groupId}'; known groups: ${context.runtime.groupIds().join(", ") || "(none: define one with mode: group)"}`,
  );
}

function describeGroup(view: GroupView, auto: boolean): Record<string, unknown> {
  return {
    id: view.id,
    // Made for discovered (or `group:`-keyed) providers; it goes with its last member.
    auto,
    description: view.description,
    state: view.state,
    strategy: view.strategy,
    min_healthy: view.minHealthy,
    preferred: view.preferred,
    active: view.active,
    retry_on_member_failure: view.retryOnMemberFailure,
    max_attempts: view.maxAttempts,
    failover: { auto_failback: view.failover.autoFailback, failback_delay_s: view.failover.failbackDelayS },
    members: view.members.map((member) => ({
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
  run: ({ group }, context) => {
    const ids = group === undefined ? context.runtime.groupIds() : [requireGroup(context, group).id];
    const groups = ids.flatMap((id) => {
      const view = context.runtime.groupView(id);
      return view === undefined ? [] : [describeGroup(view, context.runtime.isAutoGroup(id))];
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
  run: async ({ group }, context) => {
    requireGroup(context, group);
    await context.runtime.rebalanceGroup(group);
    const view = context.runtime.groupView(group);
    return jsonResult({ rebalanced: true, ...(view === undefined ? {} : describeGroup(view, context.runtime.isAutoGroup(group))) });
  },
});

export const GROUP_TOOLS: ErasedRegistryTool[] = [registryGroupList, registryGroupRebalance];
