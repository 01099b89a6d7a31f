import { enqueueActions, raise, sendTo, setup, type AnyActorRef } from "xstate";
import type { DomainEvent, GroupStateName } from "../shared/domain-events.js";
import { failure, type CallOutcome, type ToolCall } from "./call.js";
import { memberWatch } from "./group-member-watch.js";
import {
  annotateOutcome,
  bestInRotation,
  groupCallFailed,
  inactiveMessage,
  isHealthyForFailback,
  isInRotation,
  pickAdmitted,
  preferredMember,
  rotationOf,
  routeCall,
  shouldRetry,
} from "./group-routing.js";
import { INITIAL_MEMORY } from "./group-strategies/index.js";
import {
  initialGroupContext,
  memberStateOf,
  type GroupAttempt,
  type GroupContext,
  type GroupEvent,
  type GroupInput,
  type GroupMemberState,
  type RebalancePlan,
  type RetryRecord,
} from "./group-types.js";
import { toolAnnotations } from "./member-tools.js";
import { providerSystemId } from "./provider-id.js";
import { failoverSaga, failoverSagaId, type FailoverEvent } from "./sagas/failover.js";
import { rebalanceSaga, rebalanceSagaId, type RebalanceEvent } from "./sagas/rebalance.js";
import { ATTACH_OBSERVER } from "./observer-attach.js";

export * from "./group-types.js";

/**
 * The group chart (`group:<id>`): several member providers behind one id. Its states say how
 * many members are in rotation — HEALTHY (at least min_healthy), PARTIAL (some, fewer),
 * INACTIVE (none) — and it picks a member for each call with its strategy
 * (src/machines/group-strategies/), sends the call to that member's provider actor, and counts
 * the call as in flight until the member answers. A failed attempt may go to another member
 * (retry_on_member_failure); the answer's `_meta` names the member and what was retried.
 *
 * Member states arrive as MEMBER.STATE from the member watch (no snapshot reads per call).
 * Failover and failback (priority strategy) run in the failover saga; changes of membership and
 * manual rebalances in the rebalance saga; both are children of the group.
 *
 * While it serves (HEALTHY, PARTIAL) with nothing to decide — no rebalance waiting to apply, no
 * event being taken — the chart opens a *serving lane* (injected by the runtime,
 * src/runtime/group-lanes.ts): the runtime routes the group's calls with the same decision
 * (routeCall) on the chart's rotation, strategy memory and counts, and answers a member's success
 * itself, without a step of this chart. The chart stays the authority: any event it gets closes
 * the lane first and is held until the lane hands its memory and counts back (LANE.CLOSED), then
 * taken as it would have been; a member's failure closes the lane and comes here as MEMBER.REPLIED.
 */

/** What the helpers below need of enqueueActions' `enqueue`. */
interface Enqueue {
  (effect: () => void): void;
}

/**
 * How an action hands the group an event of its own (a member that has no provider actor
 * "answers" at once): raised, so it is taken in this same macrostep — or, while the events a
 * closed lane held are being taken, first in line of them (see replayHeld).
 */
type RaiseOwn = (event: GroupEvent) => void;

/** One attempt for a member: its id and its provider actor. */
export interface MemberDelivery {
  member: string;
  provider: AnyActorRef;
  call: ToolCall;
}
type System = { get: (systemId: string) => unknown };

function answer(enqueue: Enqueue, call: ToolCall, outcome: CallOutcome): void {
  enqueue(() => {
    call.reply(outcome);
  });
}

function increment(inFlight: Record<string, number>, memberId: string): Record<string, number> {
  return { ...inFlight, [memberId]: (inFlight[memberId] ?? 0) + 1 };
}

/**
 * Sends one attempt to a member's provider actor. The member answers through the reply given
 * here, which comes back to the group as MEMBER.REPLIED, so the in-flight count drops exactly
 * when the call ends, however it ends.
 */
function sendAttempt(enqueue: Enqueue, raiseOwn: RaiseOwn, system: System, self: AnyActorRef, groupId: string, attempt: GroupAttempt): void {
  const provider = system.get(providerSystemId(attempt.member)) as AnyActorRef | undefined;
  if (provider === undefined) {
    // Taken in this macrostep — or, while a closed lane's held events are being taken, first in
    // line of them (raiseOwnFor), so each held event is taken with all it leads to.
    const outcome = failure("unavailable", `member '${attempt.member}' has no provider actor`);
    raiseOwn({ type: "MEMBER.REPLIED", attempt, outcome } satisfies GroupEvent);
    return;
  }
  const trace = attempt.call.trace;
  if (trace !== undefined) {
    enqueue(() => {
      trace.route(attempt.member);
    });
  }
  const call: ToolCall = {
    ...attempt.call,
    reply: (outcome) => {
      replyToGroup(self, groupId, attempt, outcome);
    },
  };
  enqueue(sendToMember({ member: attempt.member, provider, call }));
}

/**
 * A member's answer to an attempt, back to its group: as MEMBER.REPLIED while the group runs (for
 * the chart, and the serving lane, src/runtime/group-lanes.ts, which hands it failures); once the
 * group has stopped (hangar shutdown), straight to the caller with the group's `_meta`.
 */
export function replyToGroup(group: AnyActorRef, groupId: string, attempt: GroupAttempt, outcome: CallOutcome): void {
  if ((group.getSnapshot() as { status: string }).status === "active") group.send({ type: "MEMBER.REPLIED", attempt, outcome } satisfies GroupEvent);
  else attempt.call.reply(annotateOutcome(outcome, groupId, attempt.member, attempt.retried, attempt.limited));
}

/** See RaiseOwn. */
function raiseOwnFor(
  context: GroupContext,
  enqueue: { raise: (event: GroupEvent) => void; assign: (values: Pick<GroupContext, "laneHeld">) => void },
): RaiseOwn {
  return (event) => {
    if (context.lane === "replaying") enqueue.assign({ laneHeld: [event, ...context.laneHeld] });
    else enqueue.raise(event);
  };
}

/**
 * The named action `sendToMember` with its params. setup() types its actions from their
 * implementations, so inside them no reference to another of them type-checks (as the provider
 * chart's OPEN_LANE): `never` stands in for the name's type.
 */
function sendToMember(params: MemberDelivery): never {
  return { type: "sendToMember", params } as never;
}

/**
 * The serving lane's injected actions (src/runtime/group-lanes.ts), referred to by name from the
 * chart's own actions; `never` stands in for their names' type, as for sendToMember.
 */
const OPEN_LANE = { type: "openLane" } as never;
const CLOSE_LANE = { type: "closeLane" } as never;

/** Adds what a closed lane sent each member and did not see answered to the chart's counts. */
function withLaneCounts(inFlight: Record<string, number>, lane: Readonly<Record<string, number>>): Record<string, number> {
  const sum = { ...inFlight };
  for (const [member, count] of Object.entries(lane)) if (count !== 0) sum[member] = (sum[member] ?? 0) + count;
  return sum;
}

function sagaRef(system: System, systemId: string): AnyActorRef | undefined {
  return system.get(systemId) as AnyActorRef | undefined;
}

function memberSpecs(members: readonly GroupMemberState[]): RebalancePlan["members"] {
  return members.map(({ id, weight, priority }) => ({ id, weight, priority }));
}

/**
 * Before any event is taken: an open lane closes (the event is held until its LANE.CLOSED has
 * handed back the memory and counts, so the chart decides on all of them), and while it closes
 * every event waits behind the first.
 */
const closeLaneFirst = {
  guard: "laneOpen",
  actions: "closeLaneHolding",
  description: "The serving lane is open: it closes first; the event is taken once the lane's counts are back (LANE.CLOSED).",
} as const;
const holdWhileClosing = {
  guard: "laneClosing",
  actions: "holdForLane",
  description: "The serving lane is closing: the event waits for its counts (LANE.CLOSED), in the order events came.",
} as const;
const laneFirst = [closeLaneFirst, holdWhileClosing] as const;
/** HEALTHY and PARTIAL serve alike; only the count of members in rotation tells them apart. */
const serveInvoke = [...laneFirst, { actions: "dispatchCall", description: "Pick a member with the strategy and send it the call." }] as const;
const openLane = {
  guard: "laneMayOpen",
  actions: "openLaneNow",
  description: "Nothing to decide: the serving lane routes the group's calls (same strategy, rotation and counts) without a step of the chart.",
} as const;
const lastMemberLeft = { guard: "noneInRotation", target: "INACTIVE", description: "The last member left the rotation." } as const;
const backToHealthy = { guard: "enoughInRotation", target: "HEALTHY", description: "min_healthy members are back in rotation." } as const;

export const groupMachine = setup({
  types: {
    context: {} as GroupContext,
    events: {} as GroupEvent,
    input: {} as GroupInput,
    emitted: {} as DomainEvent,
  },
  actors: { memberWatch, failoverSaga, rebalanceSaga },
  guards: {
    noneInRotation: ({ context }) => context.rotation.length === 0,
    belowMinHealthy: ({ context }) => context.rotation.length < context.spec.minHealthy,
    enoughInRotation: ({ context }) => context.rotation.length >= context.spec.minHealthy,
    someInRotation: ({ context }) => context.rotation.length > 0,
    laneOpen: ({ context }) => context.lane === "open",
    laneClosing: ({ context }) => context.lane === "closing",
    /** Serving, nothing held or replaying, and no rebalance waiting to apply (its plan changes the rotation). */
    laneMayOpen: ({ context }) => context.lane === "closed" && context.plannedMembers === undefined && context.rotation.length > 0,
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    // The serving lane's I/O, injected by the runtime (src/runtime/group-lanes.ts). Without a lane
    // nothing routes outside the chart: a close has nothing to hand back and answers at once.
    openLane: enqueueActions(() => undefined),
    closeLane: raise({ type: "LANE.CLOSED", inFlight: {} }),
    openLaneNow: enqueueActions(({ enqueue }) => {
      enqueue.assign({ lane: "open" });
      enqueue(OPEN_LANE);
    }),
    /** The lane closes; the event that closed it waits for its LANE.CLOSED. */
    closeLaneHolding: enqueueActions(({ event, enqueue }) => {
      enqueue.assign({ lane: "closing", laneHeld: [event] });
      enqueue(CLOSE_LANE);
    }),
    holdForLane: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ laneHeld: [...context.laneHeld, event] });
    }),
    /** The lane's memory and counts are the chart's again; then the events held meanwhile are taken, in order. */
    foldLane: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "LANE.CLOSED") return;
      enqueue.assign({
        inFlight: withLaneCounts(context.inFlight, event.inFlight),
        memory: event.memory ?? context.memory,
        lane: "replaying",
      });
      enqueue.raise({ type: "LANE.REPLAYED" });
    }),
    /**
     * Takes the first event held, then comes back for the next; an event of the group's own that
     * taking it gave (a member's immediate answer) goes first in line, so each held event is taken
     * with all it leads to, as it would have been with no lane. With none left the lane may open.
     */
    replayHeld: enqueueActions(({ context, enqueue }) => {
      const [next, ...rest] = context.laneHeld;
      if (next === undefined) {
        enqueue.assign({ lane: "closed" });
        return;
      }
      enqueue.assign({ laneHeld: rest });
      enqueue.raise(next);
      enqueue.raise({ type: "LANE.REPLAYED" });
    }),
    /**
     * Hands an attempt to the member's provider actor as an INVOKE. The runtime provides one that
     * sends it the way it sends a direct call to that provider (hangar-runtime.ts, deliver): with
     * the tick's other calls, through the member's serving lane when that is open, so the
     * member's chart takes no step for it. That chart stays the judge of everything else: a
     * failure reaches it as ever, and a closed lane means an INVOKE.
     */
    sendToMember: sendTo(
      (_, { provider }: MemberDelivery) => provider,
      (_, { call }: MemberDelivery) => ({ type: "INVOKE", call }),
    ),
    /** Keeps `context.state` in step and announces the change. */
    enterState: enqueueActions(({ context, enqueue }, params: { to: GroupStateName }) => {
      if (context.state === params.to) return;
      enqueue.emit({
        type: "GroupStateChanged",
        groupId: context.spec.id,
        from: context.state,
        to: params.to,
        inRotation: context.rotation.length,
        members: context.members.length,
      });
      enqueue.assign({ state: params.to });
    }),
    /** The hot path: pick a member, count the call, send it. */
    dispatchCall: enqueueActions(({ context, event, enqueue, system, self }) => {
      if (event.type !== "INVOKE") return;
      const { call } = event;
      const route = routeCall(context, call);
      if (route.kind === "answer") {
        answer(enqueue, call, route.outcome);
        if (route.failed !== undefined) enqueue.emit(route.failed);
        return;
      }
      const { member, limited } = route;
      enqueue.assign({ inFlight: increment(context.inFlight, member), memory: route.memory });
      sendAttempt(enqueue, raiseOwnFor(context, enqueue), system, self, context.spec.id, { call, member, tried: [member], retried: [], ...(limited.length === 0 ? {} : { limited }) });
    }),
    rejectInactive: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      const message = inactiveMessage(context);
      // No member answered: the error's _meta names only the group.
      answer(enqueue, event.call, { status: "failure", kind: "unavailable", message, meta: { "mcp-hangar/group": context.spec.id } });
      enqueue.emit(groupCallFailed(context.spec.id, event.call, { kind: "unavailable", message }));
    }),
    /** A member answered: count it, then answer the caller or try another member. */
    settleAttempt: enqueueActions(({ context, event, enqueue, system, self }) => {
      if (event.type !== "MEMBER.REPLIED") return;
      const { attempt, outcome } = event;
      const { call, member } = attempt;
      let inFlight: Record<string, number> = { ...context.inFlight, [member]: Math.max(0, (context.inFlight[member] ?? 0) - 1) };
      // A removed member that answered its last call is drained: the rebalance saga may finish.
      if (inFlight[member] === 0 && !context.members.some((m) => m.id === member)) {
        const { [member]: _drained, ...rest } = inFlight;
        inFlight = rest;
        const saga = sagaRef(system, rebalanceSagaId(context.spec.id));
        if (saga) enqueue.sendTo(saga, { type: "MEMBER.DRAINED", memberId: member } satisfies RebalanceEvent);
      }
      const retryable =
        attempt.tried.length < context.spec.maxAttempts &&
        shouldRetry(
          outcome,
          context.spec.retryOnMemberFailure,
          outcome.status === "failure" ? toolAnnotations(system, member, call.tool) : undefined,
          call.signal?.aborted === true,
        );
      const skipped = attempt.limited === undefined ? attempt.tried : [...attempt.tried, ...attempt.limited];
      // A retry skips members over their limits too; when none is left the failure stands.
      const admitted = retryable ? pickAdmitted({ ...context, inFlight }, skipped, call.admitMember) : undefined;
      const next = admitted?.pick;
      const limited = [...(attempt.limited ?? []), ...(admitted?.refused.map((item) => item.member) ?? [])];
      if (next === undefined || outcome.status !== "failure") {
        enqueue.assign({ inFlight });
        answer(enqueue, call, annotateOutcome(outcome, context.spec.id, member, attempt.retried, limited));
        return;
      }
      const retried: RetryRecord[] = [...attempt.retried, { member, kind: outcome.kind, message: outcome.message }];
      enqueue.assign({ inFlight: increment(inFlight, next.id), memory: next.memory });
      enqueue.emit({
        type: "GroupCallRetried",
        groupId: context.spec.id,
        tool: call.tool,
        correlationId: call.correlationId,
        principal: call.principal,
        failedMember: member,
        kind: outcome.kind,
        nextMember: next.id,
      });
      sendAttempt(enqueue, raiseOwnFor(context, enqueue), system, self, context.spec.id, {
        call,
        member: next.id,
        tried: [...attempt.tried, next.id],
        retried,
        ...(limited.length === 0 ? {} : { limited }),
      });
    }),
    /** A member's provider changed state: recompute the rotation, and fail over if the active member left it. */
    recordMemberState: enqueueActions(({ context, event, enqueue, system }) => {
      if (event.type !== "MEMBER.STATE") return;
      const index = context.members.findIndex((member) => member.id === event.memberId);
      const before = context.members[index];
      if (before === undefined) return;
      const after: GroupMemberState = { ...before, state: event.state, breaker: event.breaker };
      if (after.state === before.state && after.breaker === before.breaker) return;
      const members = context.members.map((member, i) => (i === index ? after : member));
      const rotation = rotationOf(members);
      const groupId = context.spec.id;
      const rotationChanged = isInRotation(before) !== isInRotation(after);
      enqueue.assign({ members, rotation });
      if (rotationChanged) {
        enqueue.emit({
          type: "GroupMemberChanged",
          groupId,
          memberId: after.id,
          inRotation: isInRotation(after),
          state: after.state,
          breaker: after.breaker,
        });
      }
      if (context.spec.strategy !== "priority") return;
      const preferred = preferredMember(members);
      const saga = sagaRef(system, failoverSagaId(groupId));
      const healthy = isHealthyForFailback(after);
      if (saga && after.id === preferred && healthy !== isHealthyForFailback(before)) {
        enqueue.sendTo(saga, { type: healthy ? "PREFERRED.HEALTHY" : "PREFERRED.UNHEALTHY" } satisfies FailoverEvent);
      }
      if (!rotationChanged) return;
      const active = context.active;
      if (active !== undefined && rotation.some((member) => member.id === active)) return;
      // The member taking the traffic left the rotation: fail over to the best one left.
      const next = bestInRotation(rotation);
      enqueue.assign({ active: next });
      enqueue.emit({ type: "GroupFailover", groupId, from: active, to: next });
      if (next === preferred) {
        if (saga) enqueue.stopChild(saga);
        return;
      }
      if (saga || preferred === undefined) return;
      const sagaId = failoverSagaId(groupId);
      enqueue.spawnChild("failoverSaga", {
        id: sagaId,
        systemId: sagaId,
        input: {
          groupId,
          preferred,
          autoFailback: context.spec.failover.autoFailback,
          failbackDelayS: context.spec.failover.failbackDelayS,
          preferredHealthy: members.some((member) => member.id === preferred && isInRotation(member) && isHealthyForFailback(member)),
        },
      });
    }),
    /** The failover saga says the preferred member has been healthy long enough. */
    failBack: enqueueActions(({ context, enqueue }) => {
      if (context.spec.strategy !== "priority") return;
      const to = bestInRotation(context.rotation);
      if (to === undefined || to === context.active) return;
      enqueue.assign({ active: to });
      enqueue.emit({ type: "GroupFailback", groupId: context.spec.id, from: context.active, to });
    }),
    /** Members added or removed, or a person asked: the rebalance saga carries the change out. */
    startRebalance: enqueueActions(({ context, event, enqueue, system }) => {
      // Changes in a row build on the one not yet applied (its REBALANCE.APPLY may still be queued).
      const specs = context.plannedMembers ?? memberSpecs(context.members);
      let plan: RebalancePlan;
      let reply: (() => void) | undefined;
      if (event.type === "MEMBER.ADD") {
        if (specs.some((member) => member.id === event.member.id)) return;
        plan = { reason: "members", members: [...specs, event.member], added: [event.member.id], removed: [] };
      } else if (event.type === "MEMBER.REMOVE") {
        if (!specs.some((member) => member.id === event.memberId)) return;
        plan = { reason: "members", members: specs.filter((m) => m.id !== event.memberId), added: [], removed: [event.memberId] };
      } else if (event.type === "REBALANCE") {
        plan = { reason: "manual", members: specs, added: [], removed: [] };
        reply = event.reply;
        // Recompute from the members' actual states, not only from what was reported so far.
        enqueue.sendTo("memberWatch", { type: "WATCH.MEMBERS", memberIds: specs.map((member) => member.id) });
      } else return;
      const sagaId = rebalanceSagaId(context.spec.id);
      const running = sagaRef(system, sagaId);
      if (running) enqueue.stopChild(running);
      enqueue.assign({ plannedMembers: plan.members });
      const draining = Object.entries(context.inFlight)
        .filter(([id, count]) => count > 0 && !plan.members.some((member) => member.id === id))
        .map(([id]) => id);
      enqueue.spawnChild("rebalanceSaga", {
        id: sagaId,
        systemId: sagaId,
        input: { groupId: context.spec.id, plan, draining, ...(reply === undefined ? {} : { reply }) },
      });
    }),
    /** The new rotation, from the rebalance saga: strategy memory and failover start afresh. */
    applyRebalance: enqueueActions(({ context, event, enqueue, system }) => {
      if (event.type !== "REBALANCE.APPLY") return;
      const { plan } = event;
      const known = new Map(context.members.map((member) => [member.id, member]));
      const members = plan.members.map((spec): GroupMemberState => {
        const current = known.get(spec.id);
        return current === undefined ? memberStateOf(spec) : { ...current, weight: spec.weight, priority: spec.priority };
      });
      const rotation = rotationOf(members);
      const groupId = context.spec.id;
      const failover = sagaRef(system, failoverSagaId(groupId));
      if (failover) enqueue.stopChild(failover);
      enqueue.assign({
        // The last plan asked for is applied: nothing is pending any more.
        plannedMembers: context.plannedMembers === plan.members ? undefined : context.plannedMembers,
        spec: { ...context.spec, members: plan.members },
        members,
        rotation,
        memory: INITIAL_MEMORY,
        active: context.spec.strategy === "priority" ? bestInRotation(rotation) : undefined,
      });
      if (plan.added.length > 0 || plan.removed.length > 0) {
        enqueue.sendTo("memberWatch", { type: "WATCH.MEMBERS", memberIds: plan.members.map((member) => member.id) });
      }
      enqueue.emit({
        type: "GroupRebalanced",
        groupId,
        reason: plan.reason,
        added: plan.added,
        removed: plan.removed,
        inRotation: rotation.map((member) => member.id),
      });
      const reply = event.reply;
      if (reply) enqueue(reply);
    }),
  },
}).createMachine({
  id: "group",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input }) => {
    const context = initialGroupContext(input);
    return context.spec.strategy === "priority" ? { ...context, active: bestInRotation(context.rotation) } : context;
  },
  invoke: {
    id: "memberWatch",
    src: "memberWatch",
    input: ({ context }) => ({ memberIds: context.members.map((member) => member.id) }),
  },
  on: {
    "MEMBER.REPLIED": [...laneFirst, { actions: "settleAttempt", description: "A member answered: answer the caller, or retry on another member." }],
    "MEMBER.STATE": [...laneFirst, { actions: "recordMemberState", description: "A member's state changed: recompute the rotation (failover if needed)." }],
    "MEMBER.ADD": [...laneFirst, { actions: "startRebalance", description: "A member joins: the rebalance saga switches the rotation." }],
    "MEMBER.REMOVE": [
      ...laneFirst,
      {
        actions: "startRebalance",
        description: "A member leaves: new calls avoid it at once, its in-flight calls finish (rebalance saga).",
      },
    ],
    REBALANCE: [...laneFirst, { actions: "startRebalance", description: "registry_group_rebalance: recompute the rotation from the members' states." }],
    "REBALANCE.APPLY": [...laneFirst, { actions: "applyRebalance", description: "The rebalance saga's new rotation takes effect." }],
    FAILBACK: [...laneFirst, { actions: "failBack", description: "The failover saga: the preferred member is healthy again; traffic returns." }],
    "LANE.CLOSED": {
      guard: "laneClosing",
      actions: "foldLane",
      description: "The serving lane closed: its memory and counts are the chart's again; the events held meanwhile are taken.",
    },
    "LANE.REPLAYED": {
      actions: "replayHeld",
      description: "Takes the events held while the lane closed; once none is left, the lane may open again.",
    },
  },
  initial: "restore",
  states: {
    restore: {
      description: "Picks the first state from the members in rotation.",
      always: [
        { guard: "noneInRotation", target: "INACTIVE", description: "No member in rotation." },
        { guard: "belowMinHealthy", target: "PARTIAL", description: "Fewer than min_healthy members in rotation." },
        { target: "HEALTHY", description: "At least min_healthy members in rotation." },
      ],
    },
    HEALTHY: {
      description: "At least min_healthy members in rotation.",
      entry: { type: "enterState", params: { to: "HEALTHY" } },
      always: [
        lastMemberLeft,
        { guard: "belowMinHealthy", target: "PARTIAL", description: "Fewer than min_healthy members left in rotation." },
        openLane,
      ],
      on: { INVOKE: serveInvoke },
    },
    PARTIAL: {
      description: "Some members in rotation, fewer than min_healthy: still serving.",
      entry: { type: "enterState", params: { to: "PARTIAL" } },
      always: [
        lastMemberLeft,
        backToHealthy,
        openLane,
      ],
      on: { INVOKE: serveInvoke },
    },
    INACTIVE: {
      description: "No member in rotation: calls are refused at once, saying why for each member.",
      entry: { type: "enterState", params: { to: "INACTIVE" } },
      always: [
        backToHealthy,
        { guard: "someInRotation", target: "PARTIAL", description: "A member is back in rotation." },
      ],
      on: { INVOKE: [...laneFirst, { actions: "rejectInactive", description: "Refuse at once: no member can take the call." }] },
    },
  },
});
