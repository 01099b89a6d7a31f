import * as z from "zod";
import { flag, isRecord, numeric, positiveCount, wholeNumber } from "./schema-kit.js";
import { closestMatch } from "./suggest.js";
import { GROUP_STRATEGIES, MEMBER_RETRY_POLICIES } from "./types.js";

/**
 * The `mode: group` entries of `providers`: several providers behind one id (docs/groups.md).
 * A member references a provider defined at the top level (`{ id: search-a, weight: 3 }`, or just
 * `search-a`) or defines one inline (a member with `command` or `mode`), which then becomes a
 * provider in its own right. The provider schema itself is handed in by schema.ts, so this file
 * needs nothing from it.
 */

const MEMBER_KEYS = ["id", "weight", "priority"] as const;

export interface GroupSchemaKit<Provider extends z.ZodType> {
  /** The schema of a provider entry (for inline members). */
  provider: Provider;
  /** A provider entry's valid keys, for suggestions on inline members. */
  providerKeys: readonly string[];
  /** The config's error map, so nested parses word their problems like the rest. */
  error: z.core.$ZodErrorMap;
}

// Functions rather than module constants, like every config schema: built per read, not kept (schema.ts, buildConfigSchemas).
function failoverSchemaOf() {
  return z.strictObject({
    auto_failback: flag(true),
    failback_delay_s: numeric(z.number().nonnegative()).default(30),
  });
}

/** A member's share (also the `group:` key of a provider that joins a group itself). */
export function memberShareSchemaOf() {
  return z.strictObject({
    id: z.string().min(1),
    weight: numeric(z.number().positive()).default(1),
    priority: wholeNumber(z.number().nonnegative()).default(1),
  });
}

/** Parses `value` with `schema`, moving its problems (their paths relative to here) into `ctx`. */
function parseHere<T extends z.ZodType>(
  schema: T,
  value: unknown,
  ctx: z.core.$RefinementCtx,
  error: z.core.$ZodErrorMap,
  validKeys: (path: PropertyKey[]) => readonly string[] | undefined,
): z.output<T> | typeof z.NEVER {
  const result = schema.safeParse(value, { reportInput: true, error });
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.issues.push(...withSuggestions(issue, validKeys));
  return z.NEVER;
}

/**
 * schema.ts suggests keys by a node's path, which cannot tell a group from a provider; so the
 * unknown keys found here are worded here, against the keys valid at that node.
 */
function withSuggestions(
  issue: z.core.$ZodIssue,
  validKeys: (path: PropertyKey[]) => readonly string[] | undefined,
): z.core.$ZodRawIssue[] {
  const valid = issue.code === "unrecognized_keys" ? validKeys(issue.path) : undefined;
  if (issue.code !== "unrecognized_keys" || valid === undefined) return [issue as z.core.$ZodRawIssue];
  return issue.keys.map((key) => {
    const suggestion = closestMatch(key, valid);
    return {
      code: "custom",
      input: undefined,
      path: [...issue.path, key],
      params: { at: "key" },
      message:
        suggestion === undefined
          ? `unknown key '${key}'; valid keys are ${valid.join(", ")}`
          : `unknown key '${key}' — did you mean '${suggestion}'?`,
    };
  });
}

/** The schema of one `providers` entry with `mode: group`. */
export function groupSchemaOf<Provider extends z.ZodType>(kit: GroupSchemaKit<Provider>) {
  const inlineKeys = [...MEMBER_KEYS, ...kit.providerKeys];
  const memberShareSchema = memberShareSchemaOf();
  const failoverSchema = failoverSchemaOf();
  const member = z.unknown().transform((value, ctx) => {
    // `- search-a` is short for `- { id: search-a }`.
    if (typeof value === "string") return { id: value, weight: 1, priority: 1, inline: undefined };
    if (!isRecord(value)) {
      ctx.issues.push({
        code: "custom",
        input: value,
        message: "expected a member: a provider id, { id: <provider>, weight, priority }, or an inline provider with id and command",
      });
      return z.NEVER;
    }
    const { id, weight, priority, ...rest } = value;
    const share = parseHere(memberShareSchema, { id, weight, priority }, ctx, kit.error, () => undefined);
    // Any provider key (command, mode, image, url, …) makes the member an inline provider.
    const isInline = Object.keys(rest).some((key) => kit.providerKeys.includes(key));
    if (!isInline) {
      // A reference with a misspelt key (`wieght`): say so, without asking for a command.
      const unknown = Object.keys(rest);
      if (unknown.length > 0) {
        ctx.issues.push(
          ...withSuggestions({ code: "unrecognized_keys", keys: unknown, path: [], input: value, message: "" }, () => inlineKeys),
        );
        return z.NEVER;
      }
      return share === z.NEVER ? z.NEVER : { ...share, inline: undefined };
    }
    const inline = parseHere(kit.provider, rest, ctx, kit.error, (path) => (path.length === 0 ? inlineKeys : undefined));
    if (share === z.NEVER || inline === z.NEVER) return z.NEVER;
    return { ...share, inline: inline };
  });

  const fields = z.strictObject({
    mode: z.literal("group"),
    strategy: z.enum(GROUP_STRATEGIES).default("round_robin"),
    min_healthy: positiveCount(1),
    members: z.array(member).min(1, { error: "a group needs at least one member" }),
    failover: failoverSchema.prefault({}),
    retry_on_member_failure: z.enum(MEMBER_RETRY_POLICIES).default("auto"),
    max_attempts: positiveCount(2),
    description: z.string().optional(),
  });
  const groupKeys = Object.keys(fields.shape);
  const failoverKeys = Object.keys(failoverSchema.shape);
  return z.unknown().transform((value, ctx) =>
    parseHere(fields, value, ctx, kit.error, (path) => {
      if (path.length === 0) return groupKeys;
      if (path.length === 1 && path[0] === "failover") return failoverKeys;
      return undefined;
    }),
  );
}

/** A `providers` value that asks to be a group. */
export function isGroupEntry(value: unknown): boolean {
  return isRecord(value) && value.mode === "group";
}

/**
 * Checks across the `providers` map: every referenced member exists and is not a group, inline
 * members do not reuse an id, no member is listed twice, and min_healthy can be reached.
 */
export function checkGroupMembers(
  providers: Record<string, unknown>,
  ctx: z.core.$RefinementCtx,
  providerIdProblem: (id: string) => string | undefined,
): void {
  const inlineOwner = new Map<string, string>();
  for (const [groupId, group] of Object.entries(providers)) {
    if (!isGroupEntry(group) || !isRecord(group) || !Array.isArray(group.members)) continue;
    const seen = new Set<string>();
    group.members.forEach((member: unknown, index) => {
      const entry = typeof member === "string" ? { id: member } : member;
      if (!isRecord(entry) || typeof entry.id !== "string") return;
      const id = entry.id;
      const at = typeof member === "string" ? [groupId, "members", index] : [groupId, "members", index, "id"];
      if (seen.has(id)) ctx.addIssue({ code: "custom", path: at, message: `member '${id}' is listed twice in group '${groupId}'` });
      seen.add(id);
      const inline = isRecord(entry) && ("inline" in entry ? entry.inline !== undefined : "command" in entry || "mode" in entry);
      if (inline) {
        const problem = providerIdProblem(id);
        if (problem !== undefined) ctx.addIssue({ code: "custom", path: at, message: problem });
        if (id in providers) {
          ctx.addIssue({
            code: "custom",
            path: at,
            message: `inline member '${id}' has the id of a provider defined under providers; reference it as { id: ${id} } or give the inline member another id`,
          });
        }
        const owner = inlineOwner.get(id);
        if (owner !== undefined) {
          ctx.addIssue({ code: "custom", path: at, message: `inline member '${id}' is already defined in group '${owner}'; reference it by id instead` });
        } else inlineOwner.set(id, groupId);
        return;
      }
      const target = providers[id];
      if (target === undefined) {
        const known = Object.keys(providers).filter((key) => !isGroupEntry(providers[key]));
        ctx.addIssue({
          code: "custom",
          path: at,
          message: `member '${id}' is not a provider defined under providers (known: ${known.join(", ") || "none"}); define it there, or inline with a command`,
        });
      } else if (isGroupEntry(target)) {
        ctx.addIssue({ code: "custom", path: at, message: `member '${id}' is a group; a group's members must be providers` });
      }
    });
    const minHealthy = Number(group.min_healthy ?? 1);
    if (Number.isFinite(minHealthy) && minHealthy > group.members.length) {
      ctx.addIssue({
        code: "custom",
        path: [groupId, "min_healthy"],
        message: `min_healthy (${minHealthy}) is more than the group's ${group.members.length} member(s): the group could never be HEALTHY`,
      });
    }
  }
}

/**
 * Checks the `group:` key of providers: the group's id is a valid id, and not a plain provider's
 * (a group id and a provider id share one namespace: `<id>__<tool>`).
 */
export function checkJoinedGroups(
  providers: Record<string, unknown>,
  ctx: z.core.$RefinementCtx,
  providerIdProblem: (id: string) => string | undefined,
): void {
  // Inline group members are providers too.
  const providerIds = new Set(Object.keys(providers).filter((id) => !isGroupEntry(providers[id])));
  for (const group of Object.values(providers)) {
    if (!isGroupEntry(group) || !isRecord(group) || !Array.isArray(group.members)) continue;
    for (const member of group.members as unknown[]) if (isRecord(member) && member.inline !== undefined && typeof member.id === "string") providerIds.add(member.id);
  }
  for (const [providerId, provider] of Object.entries(providers)) {
    if (!isRecord(provider) || isGroupEntry(provider)) continue;
    const joined = provider.group;
    const groupId = typeof joined === "string" ? joined : isRecord(joined) ? joined.id : undefined;
    if (typeof groupId !== "string" || groupId === "") continue;
    // (`group: pool` is { id: pool } by now: point at the group key, which covers both forms.)
    const at = [providerId, "group"];
    const problem = providerIdProblem(groupId);
    if (problem !== undefined) ctx.addIssue({ code: "custom", path: at, message: `group id: ${problem}` });
    else if (groupId === providerId) ctx.addIssue({ code: "custom", path: at, message: `a provider cannot join a group with its own id '${groupId}'` });
    else if (providerIds.has(groupId)) {
      ctx.addIssue({
        code: "custom",
        path: at,
        message: `'${groupId}' is a provider, not a group; name a mode: group entry, or a new id for an auto group`,
      });
    }
  }
}
