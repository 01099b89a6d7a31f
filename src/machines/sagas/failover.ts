import { enqueueActions, setup, type AnyActorRef } from "xstate";
import type { DomainEvent } from "../../shared/domain-events.js";
import type { GroupEvent } from "../group-types.js";
import { groupSystemId } from "../group-types.js";
import { ATTACH_OBSERVER } from "../observer-attach.js";

/**
 * The failover saga (`saga:failover:<group>`), for groups with the priority strategy: spawned by
 * the group when its preferred member leaves rotation and traffic moves to the next member.
 * With `auto_failback` it waits until the preferred member is healthy again (READY, or COLD
 * ready to start, with its breaker CLOSED) and has stayed so for `failback_delay_s`, then tells
 * the group to fail back, and ends. If the member falters meanwhile, the wait starts over. Without auto_failback it ends at once: traffic stays
 * on the fallback until it fails too or someone runs registry_group_rebalance.
 */
export interface FailoverInput {
  groupId: string;
  /** The member failback returns to (the best priority of the group). */
  preferred: string;
  autoFailback: boolean;
  failbackDelayS: number;
  /** Whether the preferred member is healthy (see isHealthyForFailback) as the saga starts. */
  preferredHealthy: boolean;
}

export type FailoverContext = FailoverInput;

export type FailoverEvent =
  | { type: "PREFERRED.HEALTHY" }
  | { type: "PREFERRED.UNHEALTHY" }
  /** The group rebalanced (or stopped): nothing left to do. */
  | { type: "CANCEL" };

/** Longest delay setTimeout accepts; larger values fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function failoverSagaId(groupId: string): string {
  return `saga:failover:${groupId}`;
}

export const failoverSaga = setup({
  types: {
    context: {} as FailoverContext,
    input: {} as FailoverInput,
    events: {} as FailoverEvent,
    emitted: {} as DomainEvent,
  },
  delays: {
    failbackDelay: ({ context }) => Math.min(Math.max(0, context.failbackDelayS * 1000), MAX_TIMER_MS),
  },
  guards: {
    autoFailbackOff: ({ context }) => !context.autoFailback,
    preferredHealthy: ({ context }) => context.preferredHealthy,
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    askForFailback: enqueueActions(({ context, system, enqueue }) => {
      // The group is absent only when the saga is walked on its own in a test.
      const group = system.get(groupSystemId(context.groupId)) as AnyActorRef | undefined;
      if (group) enqueue.sendTo(group, { type: "FAILBACK" } satisfies GroupEvent);
    }),
  },
}).createMachine({
  id: "failover",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input }) => input,
  initial: "deciding",
  states: {
    deciding: {
      description: "Traffic has moved to a fallback member; decide whether to watch for failback.",
      always: [
        { guard: "autoFailbackOff", target: "holding", description: "auto_failback is off: traffic stays on the fallback." },
        { guard: "preferredHealthy", target: "settling", description: "The preferred member is already healthy: start the failback delay." },
        { target: "waiting", description: "Wait for the preferred member to come back." },
      ],
    },
    waiting: {
      description: "The preferred member is not healthy (out of rotation, starting, DEGRADED or breaker not CLOSED).",
      on: {
        "PREFERRED.HEALTHY": { target: "settling", description: "The preferred member is healthy: it must stay so for failback_delay_s." },
        CANCEL: { target: "cancelled", description: "A rebalance reset the rotation." },
      },
    },
    settling: {
      description: "The preferred member is healthy; traffic returns once it has stayed so for failback_delay_s.",
      after: { failbackDelay: { target: "failingBack", description: "Healthy for failback_delay_s: fail back." } },
      on: {
        "PREFERRED.UNHEALTHY": { target: "waiting", description: "It faltered again: the delay starts over when it is healthy." },
        CANCEL: { target: "cancelled", description: "A rebalance reset the rotation." },
      },
    },
    failingBack: {
      description: "Tells the group to send traffic to the preferred member again.",
      entry: "askForFailback",
      type: "final",
    },
    holding: { description: "No automatic failback.", type: "final" },
    cancelled: { description: "Nothing more to do.", type: "final" },
  },
});
