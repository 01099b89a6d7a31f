import { enqueueActions, setup, type AnyActorRef } from "xstate";
import type { DomainEvent } from "../../shared/domain-events.js";
import { groupSystemId, type GroupEvent, type RebalancePlan } from "../group-types.js";
import { ATTACH_OBSERVER } from "../observer-attach.js";

/**
 * The rebalance saga (`saga:rebalance:<group>`): spawned by the group when members are added or
 * removed, or when someone asks (registry_group_rebalance). It has the group switch to the new
 * rotation at once — new calls see it — and then follows the removed members until the calls
 * they were already running have been answered: in-flight calls are never dropped, only new ones
 * go elsewhere. The group reports each drained member; when none is left the saga ends.
 */
export interface RebalanceInput {
  groupId: string;
  plan: RebalancePlan;
  /** Removed members that still run calls for the group. */
  draining: string[];
  /** Answered once the group runs on the new rotation (registry_group_rebalance waits for it). */
  reply?: () => void;
}

export interface RebalanceContext {
  groupId: string;
  plan: RebalancePlan;
  draining: string[];
  reply: (() => void) | undefined;
}

export type RebalanceEvent = { type: "MEMBER.DRAINED"; memberId: string };

export function rebalanceSagaId(groupId: string): string {
  return `saga:rebalance:${groupId}`;
}

export const rebalanceSaga = setup({
  types: {
    context: {} as RebalanceContext,
    input: {} as RebalanceInput,
    events: {} as RebalanceEvent,
    emitted: {} as DomainEvent,
  },
  guards: {
    nothingToDrain: ({ context }) => context.draining.length === 0,
    lastToDrain: ({ context, event }) => context.draining.length === 1 && context.draining[0] === event.memberId,
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    applyPlan: enqueueActions(({ context, system, enqueue }) => {
      // The group is absent only when the saga is walked on its own in a test.
      const group = system.get(groupSystemId(context.groupId)) as AnyActorRef | undefined;
      if (group) enqueue.sendTo(group, { type: "REBALANCE.APPLY", plan: context.plan, reply: context.reply } satisfies GroupEvent);
    }),
    forgetDrained: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ draining: context.draining.filter((id) => id !== event.memberId) });
    }),
  },
}).createMachine({
  id: "rebalance",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input }) => ({ groupId: input.groupId, plan: input.plan, draining: input.draining, reply: input.reply }),
  initial: "applying",
  states: {
    applying: {
      description: "Has the group switch to the new rotation; new calls use it from now on.",
      entry: "applyPlan",
      always: [
        { guard: "nothingToDrain", target: "done", description: "No removed member runs calls: done." },
        { target: "draining", description: "Removed members still run calls: let them finish." },
      ],
    },
    draining: {
      description: "Removed members finish the calls they already run; none is dropped.",
      on: {
        "MEMBER.DRAINED": [
          { guard: "lastToDrain", target: "done", actions: "forgetDrained", description: "The last removed member answered its last call." },
          { actions: "forgetDrained", description: "A removed member answered its last call." },
        ],
      },
    },
    done: { description: "The rotation is rebalanced.", type: "final" },
  },
});
