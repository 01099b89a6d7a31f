import { enqueueActions, setup, type AnyActorRef } from "xstate";
import type { RestartSpec } from "../../config/types.js";
import type { DomainEvent } from "../../shared/domain-events.js";
import type { ProviderEvent } from "../provider-types.js";
import { SUPERVISOR_SYSTEM_ID } from "../supervisor-id.js";
import { backoffDelayMs, restartsInWindow } from "./backoff.js";
import { ATTACH_OBSERVER } from "../observer-attach.js";

/**
 * The recovery saga (`saga:recovery:<provider>`): spawned by the supervisor when a provider's
 * process dies. It decides when to restart — exponential backoff with jitter — or that the
 * restart budget is spent, in which case the provider is declared DEAD. It tells the provider
 * when the restart is due (so calls fail fast with a retry-after) and asks the supervisor to do
 * the restart; then it ends.
 */
export interface RecoveryInput {
  providerId: string;
  restart: RestartSpec;
  /** When the provider's earlier restarts happened. */
  restartTimes: number[];
  now: number;
  /** 0..1; spreads the delay (injected so tests are deterministic). */
  random: number;
}

export interface RecoveryContext {
  providerId: string;
  /** Restarts within restart.window_s so far. */
  attempt: number;
  maxRestarts: number;
  windowS: number;
  delayMs: number;
  restartAt: number;
}

export type RecoveryEvent = { type: "CANCEL" };

/** Sent to the supervisor. */
export type RecoverySagaOutput =
  | { type: "RECOVERY.RESTART"; providerId: string }
  | { type: "RECOVERY.GAVE_UP"; providerId: string };

export function recoverySagaId(providerId: string): string {
  return `saga:recovery:${providerId}`;
}

function providerRef(system: { get: (id: string) => unknown }, providerId: string): AnyActorRef | undefined {
  return system.get(`provider:${providerId}`) as AnyActorRef | undefined;
}

/** The supervisor, when there is one (a saga walked on its own in a test has none). */
function supervisorRef(system: { get: (id: string) => unknown }): AnyActorRef | undefined {
  return system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
}

export const recoverySaga = setup({
  types: {
    context: {} as RecoveryContext,
    input: {} as RecoveryInput,
    events: {} as RecoveryEvent,
    emitted: {} as DomainEvent,
  },
  delays: {
    backoff: ({ context }) => context.delayMs,
  },
  guards: {
    overBudget: ({ context }) => context.attempt >= context.maxRestarts,
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    announceSchedule: enqueueActions(({ context, system, enqueue }) => {
      const provider = providerRef(system, context.providerId);
      if (provider) enqueue.sendTo(provider, { type: "RECOVERY.SCHEDULED", at: context.restartAt } satisfies ProviderEvent);
      enqueue.emit({
        type: "RecoveryScheduled",
        providerId: context.providerId,
        attempt: context.attempt + 1,
        delayMs: context.delayMs,
        at: context.restartAt,
      });
    }),
    askForRestart: enqueueActions(({ context, system, enqueue }) => {
      const supervisor = supervisorRef(system);
      if (supervisor) enqueue.sendTo(supervisor, { type: "RECOVERY.RESTART", providerId: context.providerId } satisfies RecoverySagaOutput);
    }),
    giveUp: enqueueActions(({ context, system, enqueue }) => {
      const provider = providerRef(system, context.providerId);
      const message = `provider '${context.providerId}' crashed ${context.attempt + 1} times within ${context.windowS}s (restart budget: max_restarts ${context.maxRestarts} in window_s ${context.windowS})`;
      if (provider) enqueue.sendTo(provider, { type: "GIVE_UP", message } satisfies ProviderEvent);
      const supervisor = supervisorRef(system);
      if (supervisor) enqueue.sendTo(supervisor, { type: "RECOVERY.GAVE_UP", providerId: context.providerId } satisfies RecoverySagaOutput);
    }),
  },
}).createMachine({
  id: "recovery",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input }) => {
    const attempt = restartsInWindow(input.restartTimes, input.restart.windowS, input.now);
    const delayMs = backoffDelayMs(input.restart, attempt, input.random);
    return {
      providerId: input.providerId,
      attempt,
      maxRestarts: input.restart.maxRestarts,
      windowS: input.restart.windowS,
      delayMs,
      restartAt: input.now + delayMs,
    };
  },
  initial: "deciding",
  states: {
    deciding: {
      description: "Counts the restarts within restart.window_s.",
      always: [
        { guard: "overBudget", target: "gaveUp", description: "max_restarts reached within window_s: the provider is DEAD." },
        { target: "waiting", description: "Within budget: wait for the backoff." },
      ],
    },
    waiting: {
      description: "Backoff with jitter; the provider refuses calls, saying when the restart is due.",
      entry: "announceSchedule",
      after: { backoff: { target: "restarting", description: "The backoff passed." } },
      on: { CANCEL: { target: "cancelled", description: "A person started or stopped the provider." } },
    },
    restarting: {
      description: "Asks the supervisor to replace the provider actor with a fresh one that starts at once.",
      entry: "askForRestart",
      type: "final",
    },
    gaveUp: {
      description: "Declares the provider DEAD.",
      entry: "giveUp",
      type: "final",
    },
    cancelled: { description: "Nothing more to do.", type: "final" },
  },
});
