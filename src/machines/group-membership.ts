import { autoGroupSpec } from "../config/group-spec.js";
import type { GroupMemberSpec, GroupSpec, ProviderSpec } from "../config/types.js";

/**
 * Which groups should exist, and with which members, given the configured groups (`mode: group`
 * entries) and the providers running now — pure logic the supervisor runs after every change of
 * membership (discovery, config reload). A provider with a `group` (the `group:` key, a Docker
 * label, a Kubernetes annotation) joins that group: a configured one as one more member, else an
 * auto group made for it with default settings, which goes when its last member goes.
 */

export interface DesiredGroup {
  spec: GroupSpec;
  /** Made for providers that named it, not configured: it goes with its last member. */
  auto: boolean;
}

/** A provider named a group id that is a provider's: it is not joined (it runs on its own). */
export interface JoinConflict {
  providerId: string;
  groupId: string;
  message: string;
}

export interface GroupPlan {
  groups: Record<string, DesiredGroup>;
  conflicts: JoinConflict[];
}

export function desiredGroups(configured: readonly GroupSpec[], providers: readonly ProviderSpec[]): GroupPlan {
  const groups: Record<string, DesiredGroup> = Object.fromEntries(configured.map((spec) => [spec.id, { spec, auto: false }]));
  const providerIds = new Set(providers.map((spec) => spec.id));
  const conflicts: JoinConflict[] = [];
  const joining = providers.filter((spec) => spec.group !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const provider of joining) {
    const { id: groupId, weight, priority } = provider.group ?? { id: "", weight: 1, priority: 1 };
    if (providerIds.has(groupId)) {
      conflicts.push({
        providerId: provider.id,
        groupId,
        message: `provider '${provider.id}' asks to join group '${groupId}', but '${groupId}' is a provider; '${provider.id}' runs on its own (rename the group or the provider)`,
      });
      continue;
    }
    const member: GroupMemberSpec = { id: provider.id, weight, priority };
    const current = groups[groupId];
    if (current === undefined) groups[groupId] = { spec: autoGroupSpec(groupId, [member]), auto: true };
    // A member the group lists itself keeps the share written there.
    else if (!current.spec.members.some((listed) => listed.id === provider.id)) {
      groups[groupId] = { ...current, spec: { ...current.spec, members: [...current.spec.members, member] } };
    }
  }
  return { groups, conflicts };
}

/** What the supervisor does to go from one set of groups to the next. */
export interface GroupChanges {
  add: DesiredGroup[];
  /** Settings changed (strategy, min_healthy, …, or a member's weight or priority): a fresh group actor. */
  replace: DesiredGroup[];
  remove: string[];
  /** Only members came or went: MEMBER.ADD / MEMBER.REMOVE to the running group (the rebalance saga drains). */
  members: { groupId: string; add: GroupMemberSpec[]; remove: string[] }[];
}

export function groupChanges(before: Readonly<Record<string, DesiredGroup>>, after: Readonly<Record<string, DesiredGroup>>): GroupChanges {
  const changes: GroupChanges = { add: [], replace: [], remove: [], members: [] };
  for (const [id, next] of Object.entries(after)) {
    const previous = before[id];
    if (previous === undefined) {
      changes.add.push(next);
      continue;
    }
    if (!sameSettings(previous.spec, next.spec)) {
      changes.replace.push(next);
      continue;
    }
    const add = next.spec.members.filter((member) => !previous.spec.members.some((old) => old.id === member.id));
    const remove = previous.spec.members.filter((old) => !next.spec.members.some((member) => member.id === old.id)).map((old) => old.id);
    if (add.length > 0 || remove.length > 0) changes.members.push({ groupId: id, add, remove });
  }
  for (const id of Object.keys(before)) if (after[id] === undefined) changes.remove.push(id);
  return changes;
}

/** Everything but which members there are: the settings, and the share of members in both. */
function sameSettings(a: GroupSpec, b: GroupSpec): boolean {
  const { members: membersA, ...settingsA } = a;
  const { members: membersB, ...settingsB } = b;
  if (JSON.stringify(settingsA) !== JSON.stringify(settingsB)) return false;
  return membersA.every((member) => {
    const other = membersB.find((candidate) => candidate.id === member.id);
    return other === undefined || (other.weight === member.weight && other.priority === member.priority);
  });
}
