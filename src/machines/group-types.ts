import type { GroupMemberSpec, GroupSpec } from "../config/types.js";
import type { BreakerStateName, GroupStateName, ProviderStateName } from "../shared/domain-events.js";
import type { FailureKind } from "../shared/failure-kind.js";
import type { CallOutcome, ToolCall } from "./call.js";
import { INITIAL_MEMORY, type Candidate, type StrategyMemory } from "./group-strategies/index.js";

/** The types of the group chart (src/machines/group.ts): its context, input and events. */

/** A member as the group sees it: its share, and the lifecycle and breaker states its provider reported. */
export interface GroupMemberState extends Candidate {
  state: ProviderStateName;
  breaker: BreakerStateName;
}

export interface GroupInput {
  spec: GroupSpec;
  /** Source of randomness for the random strategy (injected so tests are deterministic). */
  random?: () => number;
}

export interface GroupContext {
  spec: GroupSpec;
  /** Every member, in config order. */
  members: GroupMemberState[];
  /** The members in rotation (not DEAD, not RECOVERING, breaker not OPEN), in config order. */
  rotation: GroupMemberState[];
  /** Calls the group has sent to each member and not yet had answered (members being drained included). */
  inFlight: Record<string, number>;
  memory: StrategyMemory;
  /**
   * priority strategy: the member taking the traffic. It is the best member in rotation, except
   * after a failover, when it stays on the fallback until the failover saga says to fail back.
   */
  active: string | undefined;
  /**
   * The member list of the last rebalance asked for and not yet applied: a second MEMBER.ADD or
   * MEMBER.REMOVE in a row builds on it, so none of a burst of changes is lost.
   */
  plannedMembers?: GroupMemberSpec[];
  /** The group's state name for observers; kept in step by each state's entry. */
  state: GroupStateName;
  /**
   * The group's serving lane (src/runtime/group-lanes.ts): `open` while the runtime routes the
   * group's calls itself with the chart's strategy, rotation, memory and counts; `closing` from the
   * chart's closeLane until the lane's LANE.CLOSED hands its memory and counts back; else `closed`.
   */
  lane: GroupLaneState;
  /**
   * Events that came while the lane was closing (the first is the one that closed it): taken, in
   * the order they came, as soon as LANE.CLOSED has folded the lane's memory and counts in.
   */
  laneHeld: GroupEvent[];
  random: () => number;
}

/** `replaying`: LANE.CLOSED is taking the held events; the lane may open again once they are taken. */
export type GroupLaneState = "open" | "closing" | "replaying" | "closed";

/** One member's failed attempt, as the result's `_meta` reports it. */
export interface RetryRecord {
  member: string;
  kind: Exclude<FailureKind, "ok" | "tool_error">;
  message: string;
}

/** A call on its way through the group: the caller's call and the members tried so far. */
export interface GroupAttempt {
  call: ToolCall;
  member: string;
  tried: string[];
  retried: RetryRecord[];
  /** Members skipped because their own limits refused the call (never tried; not picked again for it). */
  limited?: string[];
}

/** What a rebalance applies: the new member list, and what changed. */
export interface RebalancePlan {
  reason: "manual" | "members";
  members: GroupMemberSpec[];
  added: string[];
  removed: string[];
}

export type GroupEvent =
  | { type: "INVOKE"; call: ToolCall }
  /** A member answered an attempt (sent by the reply the group gave the member). */
  | { type: "MEMBER.REPLIED"; attempt: GroupAttempt; outcome: CallOutcome }
  /** A member's provider changed state (sent by the member watch). */
  | { type: "MEMBER.STATE"; memberId: string; state: ProviderStateName; breaker: BreakerStateName }
  | { type: "MEMBER.ADD"; member: GroupMemberSpec }
  | { type: "MEMBER.REMOVE"; memberId: string }
  /** registry_group_rebalance: recompute the rotation from the members' current states. */
  | { type: "REBALANCE"; reply?: () => void }
  /** From the rebalance saga: switch to the new rotation. */
  | { type: "REBALANCE.APPLY"; plan: RebalancePlan; reply?: () => void }
  /** From the failover saga: the preferred member has been healthy for failback_delay_s. */
  | { type: "FAILBACK" }
  /**
   * From the serving lane, answering the chart's closeLane: the calls it sent each member and has
   * not seen answered (added to the chart's counts) and the strategy's memory as the lane left it
   * (absent: unchanged).
   */
  | { type: "LANE.CLOSED"; inFlight: Readonly<Record<string, number>>; memory?: StrategyMemory }
  /** Raised by the chart after the events held while its lane closed: the lane may open again. */
  | { type: "LANE.REPLAYED" };

/** Sent to the member watch (src/machines/group-member-watch.ts): the members to follow now. */
export type MemberWatchEvent = { type: "WATCH.MEMBERS"; memberIds: string[] };

export function groupSystemId(groupId: string): string {
  return `group:${groupId}`;
}

export function memberStateOf(spec: GroupMemberSpec): GroupMemberState {
  // Until the member watch reports, a member counts as COLD: available, started on first use.
  return { id: spec.id, weight: spec.weight, priority: spec.priority, state: "COLD", breaker: "CLOSED" };
}

export function initialGroupContext(input: GroupInput): GroupContext {
  const members = input.spec.members.map(memberStateOf);
  return {
    spec: input.spec,
    members,
    rotation: members,
    inFlight: {},
    memory: INITIAL_MEMORY,
    active: undefined,
    state: "HEALTHY",
    lane: "closed",
    laneHeld: [],
    random: input.random ?? Math.random,
  };
}
