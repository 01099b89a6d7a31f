import type { ConfigPath } from "./interpolate.js";
import { defaultRawGroup, type RawGroup, type RawProvider } from "./schema.js";
import type { GroupMemberSpec, GroupSpec } from "./types.js";

/** From the validated `providers` map to group specs: which entries are groups, and their inline members. */

type RawEntry = RawProvider | RawGroup;

function isRawGroup(entry: RawEntry): entry is RawGroup {
  return entry.mode === "group";
}

/** The `providers` entries, split into providers and `mode: group` entries (in file order). */
export function splitGroups(entries: Record<string, RawEntry>): {
  providers: [string, RawProvider][];
  groups: [string, RawGroup][];
} {
  const providers: [string, RawProvider][] = [];
  const groups: [string, RawGroup][] = [];
  for (const [id, entry] of Object.entries(entries)) {
    if (isRawGroup(entry)) groups.push([id, entry]);
    else providers.push([id, entry]);
  }
  return { providers, groups };
}

/** Providers defined inline as group members. */
export function inlineMembers(groups: [string, RawGroup][]): [string, RawProvider][] {
  return groups.flatMap(([, group]) =>
    group.members.flatMap((member): [string, RawProvider][] => (member.inline === undefined ? [] : [[member.id, member.inline]])),
  );
}

/** Inline members with where each sits in the file (`providers.<group>.members[<i>]`), for checks that point at it. */
export function inlineMemberPlaces(groups: [string, RawGroup][]): [string, RawProvider, ConfigPath][] {
  return groups.flatMap(([groupId, group]) =>
    group.members.flatMap((member, index): [string, RawProvider, ConfigPath][] =>
      member.inline === undefined ? [] : [[member.id, member.inline, ["providers", groupId, "members", index]]],
    ),
  );
}

export function toGroupSpec(id: string, raw: RawGroup): GroupSpec {
  return {
    id,
    strategy: raw.strategy,
    minHealthy: raw.min_healthy,
    members: raw.members.map((member) => ({ id: member.id, weight: member.weight, priority: member.priority })),
    failover: { autoFailback: raw.failover.auto_failback, failbackDelayS: raw.failover.failback_delay_s },
    retryOnMemberFailure: raw.retry_on_member_failure,
    maxAttempts: raw.max_attempts,
    ...(raw.description === undefined ? {} : { description: raw.description }),
  };
}

/**
 * An auto group: made when providers join a group id no `mode: group` entry defines. Its
 * settings are the defaults of a written group (round_robin); only its members are its own.
 */
export function autoGroupSpec(id: string, members: GroupMemberSpec[]): GroupSpec {
  return { ...toGroupSpec(id, defaultRawGroup(members.map((member) => member.id))), members };
}
