import { enqueueActions, setup, type ActorRefFrom, type AnyActorRef } from "xstate";
import type { GroupSpec, ProviderSpec } from "../config/types.js";
import type { DomainEvent, StopReason } from "../shared/domain-events.js";
import { failure, type ToolCall } from "./call.js";
import { groupMachine, groupSystemId } from "./group.js";
import { providerMachine, type ProviderCrashedEvent, type ProviderRecord, type StartReply } from "./provider.js";
import { providerSystemId } from "./provider-id.js";
import { providerHistory } from "./provider-types.js";
import { listedTools, providerView, type ListedTool, type ProviderView } from "./provider-view.js";
import { recoverySaga, recoverySagaId, type RecoverySagaOutput } from "./sagas/recovery.js";

/**
 * The root supervisor. It spawns one provider actor per configured provider (systemId
 * `provider:<id>`, so anything can reach it with `system.get`) and routes every request as a
 * message; replies travel back through the resolver carried in the event, never through state.
 *
 * Recovery: when a provider's process dies the provider reports PROVIDER.CRASHED; the
 * supervisor spawns a recovery saga (`saga:recovery:<id>`), and when the saga asks for the
 * restart, stops the crashed provider actor and spawns a fresh one under the same systemId,
 * handing it the old one's history. The fresh actor starts at once.
 */
export type ProviderRef = ActorRefFrom<typeof providerMachine>;
export type GroupRef = ActorRefFrom<typeof groupMachine>;

export interface HangarInput {
  providers: ProviderSpec[];
  /** Per provider id: what the audit trail remembers from earlier runs (replayed at start-up). */
  records?: Record<string, ProviderRecord>;
  /** Provider groups (`group:<id>` actors); their members are among `providers`. */
  groups?: GroupSpec[];
}

export interface HangarContext {
  providers: Record<string, ProviderRef>;
  groups: Record<string, GroupRef>;
}

export type HangarEvent =
  | { type: "INVOKE"; providerId: string; call: ToolCall }
  | { type: "START"; providerId: string; reply: StartReply }
  | { type: "STOP"; providerId: string; reason: Extract<StopReason, "manual" | "config">; reply: () => void }
  | { type: "STATUS"; reply: (views: ProviderView[]) => void }
  | { type: "LIST_TOOLS"; reply: (tools: Record<string, ListedTool[]>) => void }
  | { type: "GROUP.REBALANCE"; groupId: string; reply: () => void }
  | { type: "SHUTDOWN" }
  | ProviderCrashedEvent
  | RecoverySagaOutput;

export { providerSystemId };

function unknownProviderMessage(context: HangarContext, providerId: string): string {
  const known = [...Object.keys(context.providers), ...Object.keys(context.groups)];
  return `unknown provider '${providerId}'; known providers: ${known.length > 0 ? known.join(", ") : "(none)"}`;
}

/** A person's START or STOP overrides a pending automatic restart. */
function cancelRecovery(
  system: { get: (id: string) => unknown },
  providerId: string,
  enqueue: { sendTo: (ref: AnyActorRef, event: { type: "CANCEL" }) => void },
): void {
  const saga = system.get(recoverySagaId(providerId)) as AnyActorRef | undefined;
  if (saga) enqueue.sendTo(saga, { type: "CANCEL" });
}

export const hangarMachine = setup({
  types: {
    context: {} as HangarContext,
    events: {} as HangarEvent,
    input: {} as HangarInput,
    emitted: {} as DomainEvent,
  },
  actors: { provider: providerMachine, recoverySaga, group: groupMachine },
  actions: {
    // Routing uses sendTo (not ref.send inside a custom action), so the provider processes the
    // message after the supervisor's own step, as XState intends.
    routeInvoke: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      // A group id reaches the group actor, which picks a member and forwards the call to it.
      const ref = context.providers[event.providerId] ?? context.groups[event.providerId];
      if (ref) {
        enqueue.sendTo(ref, { type: "INVOKE", call: event.call });
        return;
      }
      const reply = event.call.reply;
      const message = unknownProviderMessage(context, event.providerId);
      enqueue(() => {
        reply(failure("rejected", message));
      });
    }),
    routeStart: enqueueActions(({ context, event, system, enqueue }) => {
      if (event.type !== "START") return;
      const ref = context.providers[event.providerId];
      const reply = event.reply;
      if (!ref) {
        const message = unknownProviderMessage(context, event.providerId);
        enqueue(() => {
          reply({ ok: false, kind: "rejected", message });
        });
        return;
      }
      cancelRecovery(system, event.providerId, enqueue);
      enqueue.sendTo(ref, { type: "START", reply });
    }),
    routeStop: enqueueActions(({ context, event, system, enqueue }) => {
      if (event.type !== "STOP") return;
      const ref = context.providers[event.providerId];
      const reply = event.reply;
      if (!ref) {
        enqueue(() => {
          reply();
        });
        return;
      }
      cancelRecovery(system, event.providerId, enqueue);
      enqueue.sendTo(ref, { type: "STOP", reason: event.reason, reply });
    }),
    routeRebalance: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "GROUP.REBALANCE") return;
      const ref = context.groups[event.groupId];
      const reply = event.reply;
      if (ref) enqueue.sendTo(ref, { type: "REBALANCE", reply });
      else enqueue(reply);
    }),
    replyStatus: ({ context, event }) => {
      if (event.type !== "STATUS") return;
      const now = Date.now();
      event.reply(Object.values(context.providers).map((ref) => providerView(ref.getSnapshot().context, now)));
    },
    replyTools: ({ context, event }) => {
      if (event.type !== "LIST_TOOLS") return;
      event.reply(
        Object.fromEntries(Object.entries(context.providers).map(([id, ref]) => [id, listedTools(ref.getSnapshot().context)])),
      );
    },
    startRecovery: enqueueActions(({ context, event, system, enqueue }) => {
      if (event.type !== "PROVIDER.CRASHED") return;
      const ref = context.providers[event.providerId];
      if (!ref) return;
      // systemId must be a plain string computed here: spawnChild cannot take a function for it.
      const sagaId = recoverySagaId(event.providerId);
      // One saga per provider: a duplicate crash report while one is pending changes nothing.
      if (system.get(sagaId) !== undefined) return;
      const { spec, recovery } = ref.getSnapshot().context;
      enqueue.spawnChild("recoverySaga", {
        id: sagaId,
        systemId: sagaId,
        input: {
          providerId: event.providerId,
          restart: spec.restart,
          restartTimes: recovery.restartTimes,
          now: Date.now(),
          random: Math.random(),
        },
      });
    }),
    /** The restart the design asks for: a fresh actor under the same systemId, with the old one's history. */
    restartProvider: enqueueActions(({ context, event, system, enqueue }) => {
      if (event.type !== "RECOVERY.RESTART") return;
      const old = context.providers[event.providerId];
      if (!old) return;
      const sagaId = recoverySagaId(event.providerId);
      const saga = system.get(sagaId) as AnyActorRef | undefined;
      if (saga) enqueue.stopChild(saga);
      const oldContext = old.getSnapshot().context;
      // Only a provider still waiting for its restart is replaced; a person may have acted meanwhile.
      if (oldContext.state !== "RECOVERING") return;
      const history = providerHistory(oldContext, Date.now());
      const systemId = providerSystemId(event.providerId);
      enqueue.stopChild(old);
      enqueue.assign({
        providers: ({ context: current, spawn }) => ({
          ...current.providers,
          [event.providerId]: spawn("provider", { id: systemId, systemId, input: { spec: oldContext.spec, history } }),
        }),
      });
      enqueue.emit({ type: "ProviderRestarted", providerId: event.providerId, restartCount: history.recovery.restartCount });
    }),
    endRecovery: enqueueActions(({ event, system, enqueue }) => {
      if (event.type !== "RECOVERY.GAVE_UP") return;
      const saga = system.get(recoverySagaId(event.providerId)) as AnyActorRef | undefined;
      if (saga) enqueue.stopChild(saga);
    }),
    stopAllProviders: enqueueActions(({ context, enqueue }) => {
      for (const ref of Object.values(context.providers)) enqueue.sendTo(ref, { type: "STOP", reason: "shutdown" });
    }),
  },
}).createMachine({
  id: "hangar",
  context: ({ input, spawn }) => ({
    providers: Object.fromEntries(
      input.providers.map((spec) => {
        const systemId = providerSystemId(spec.id);
        return [spec.id, spawn("provider", { id: systemId, systemId, input: { spec, record: input.records?.[spec.id] } })];
      }),
    ),
    // After the providers, so each group's member watch finds its members' actors.
    groups: Object.fromEntries(
      (input.groups ?? []).map((spec) => {
        const systemId = groupSystemId(spec.id);
        return [spec.id, spawn("group", { id: systemId, systemId, input: { spec } })];
      }),
    ),
  }),
  initial: "running",
  states: {
    running: {
      description: "Routing requests to provider actors and restarting the ones that crash.",
      on: {
        INVOKE: { actions: "routeInvoke", description: "A tool call for one provider." },
        START: { actions: "routeStart", description: "Start a provider (registry_start, warm-up); cancels a pending restart." },
        STOP: { actions: "routeStop", description: "Stop a provider (registry_stop); cancels a pending restart." },
        STATUS: { actions: "replyStatus", description: "Report every provider's state." },
        LIST_TOOLS: { actions: "replyTools", description: "Report every provider's listed tools (live ∪ predefined)." },
        "GROUP.REBALANCE": { actions: "routeRebalance", description: "Recompute a group's rotation (registry_group_rebalance)." },
        "PROVIDER.CRASHED": { actions: "startRecovery", description: "A provider's process died: a recovery saga decides." },
        "RECOVERY.RESTART": {
          actions: "restartProvider",
          description: "The saga's backoff passed: replace the provider actor with a fresh one.",
        },
        "RECOVERY.GAVE_UP": { actions: "endRecovery", description: "Over budget: the provider is DEAD; the saga ends." },
        SHUTDOWN: {
          target: "stopped",
          actions: "stopAllProviders",
          description: "Hangar shutdown: every provider stops gracefully, pending calls are answered.",
        },
      },
    },
    stopped: {
      description: "Shut down: providers stopped; the runtime then stops the actor system.",
      type: "final",
    },
  },
});
