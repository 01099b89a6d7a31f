import { enqueueActions, setup, type ActorRefFrom, type AnyActorRef } from "xstate";
import type { DiscoverySourceSpec, GroupSpec, ProviderSpec } from "../config/types.js";
import { DISCOVERY_SYSTEM_ID, discoveryMachine } from "./discovery.js";
import type { DomainEvent, StopReason } from "../shared/domain-events.js";
import { failure, type ToolCall } from "./call.js";
import { groupMachine, groupSystemId } from "./group.js";
import { desiredGroups, groupChanges, type DesiredGroup, type JoinConflict } from "./group-membership.js";
import { providerMachine, type ProviderCrashedEvent, type ProviderRecord, type StartReply } from "./provider.js";
import { providerSystemId } from "./provider-id.js";
import { providerHistory } from "./provider-types.js";
import { listedTools, providerView, type ListedTool, type ProviderView } from "./provider-view.js";
import { recoverySaga, recoverySagaId, type RecoverySagaOutput } from "./sagas/recovery.js";
import { refuseHeld, wasRunning, type Draining, type HeldEvent, type MembershipEvent } from "./membership.js";
import { ATTACH_OBSERVER } from "./observer-attach.js";

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
  /** Discovery sources; the discovery actor runs regardless, since config reloads go through it. */
  sources?: DiscoverySourceSpec[];
  /** The environment `${VAR}`s in discovered specs are read from. */
  env?: NodeJS.ProcessEnv;
}

export interface HangarContext {
  /** The providers requests are routed to (and views and tools are read from). */
  providers: Record<string, ProviderRef>;
  groups: Record<string, GroupRef>;
  /** The `mode: group` entries of the config (replaced by GROUPS.CONFIGURE on a reload). */
  configuredGroups: GroupSpec[];
  /** The groups as last applied: configured ones with the providers that joined them, and auto groups. */
  groupPlan: Record<string, DesiredGroup>;
  /** Providers that named a group id that is a provider's (reported, not joined). */
  groupConflicts: JoinConflict[];
  /** Providers finishing their calls before a replacement or removal (see membership.ts). */
  draining: Record<string, Draining>;
  /** The discovery actor (systemId `discovery`): sources, reconciler, config reloads. */
  discovery: ActorRefFrom<typeof discoveryMachine>;
}

export type HangarEvent =
  | { type: "INVOKE"; providerId: string; call: ToolCall }
  | { type: "START"; providerId: string; reply: StartReply }
  | { type: "STOP"; providerId: string; reason: Extract<StopReason, "manual" | "config">; reply: () => void }
  | { type: "STATUS"; reply: (views: ProviderView[]) => void }
  | { type: "LIST_TOOLS"; reply: (tools: Record<string, ListedTool[]>) => void }
  | { type: "GROUP.REBALANCE"; groupId: string; reply: () => void }
  /** A reloaded config's groups (sent by the discovery actor after the providers' changes). */
  | { type: "GROUPS.CONFIGURE"; groups: GroupSpec[] }
  | { type: "SHUTDOWN" }
  | MembershipEvent
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

/**
 * A provider being replaced finishes its calls first; requests meanwhile wait for its successor
 * (held in order, sent to the new actor once it exists), so a config change drops no call.
 */
function holdForSuccessor(
  context: HangarContext,
  event: HeldEvent,
  enqueue: { assign: (values: Partial<HangarContext>) => void },
): boolean {
  const draining = context.draining[event.providerId];
  if (draining?.next === undefined) return false;
  enqueue.assign({ draining: { ...context.draining, [event.providerId]: { ...draining, held: [...draining.held, event] } } });
  return true;
}

/**
 * The actor a call for `providerId` goes to: the provider, or a group's actor (which picks a
 * member and forwards the call to it). undefined: held for a successor, or unknown.
 */
export function invokeTarget(context: HangarContext, providerId: string): ProviderRef | GroupRef | undefined {
  if (context.draining[providerId]?.next !== undefined) return undefined;
  return context.providers[providerId] ?? context.groups[providerId];
}

/**
 * Where the runtime may send a call itself, skipping the supervisor's step: only while the
 * supervisor runs, is at rest (calls come from the front ends, never from inside an actor's
 * step), and would pass the call on unchanged — to the same actor routeInvoke picks. Holding for
 * a successor, refusing an unknown id, a stopped supervisor: those stay the supervisor's to do.
 */
export function passThroughTarget(
  snapshot: { status: string; value: unknown; context: HangarContext },
  providerId: string,
): ProviderRef | GroupRef | undefined {
  if (snapshot.status !== "active" || snapshot.value !== "running") return undefined;
  return invokeTarget(snapshot.context, providerId);
}

/** DRAIN for a provider actor, whose answer comes back to the supervisor as PROVIDER.DRAINED. */
function drainRequest(self: { send: (event: MembershipEvent) => void }, providerId: string, ref: ProviderRef) {
  return {
    type: "DRAIN" as const,
    reply: () => {
      self.send({ type: "PROVIDER.DRAINED", providerId, ref });
    },
  };
}

/** Every provider's spec as it will be once pending replacements are done (removed ones are gone). */
function currentSpecs(context: HangarContext): ProviderSpec[] {
  const specs = new Map<string, ProviderSpec>();
  for (const [id, ref] of Object.entries(context.providers)) specs.set(id, ref.getSnapshot().context.spec);
  for (const [id, draining] of Object.entries(context.draining)) if (draining.next !== undefined) specs.set(id, draining.next);
  return [...specs.values()];
}

function sameConflict(a: JoinConflict, b: JoinConflict): boolean {
  return a.providerId === b.providerId && a.groupId === b.groupId;
}

export const hangarMachine = setup({
  types: {
    context: {} as HangarContext,
    events: {} as HangarEvent,
    input: {} as HangarInput,
    emitted: {} as DomainEvent,
  },
  actors: { provider: providerMachine, recoverySaga, group: groupMachine, discovery: discoveryMachine },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    // Routing uses sendTo (not ref.send inside a custom action), so the provider processes the
    // message after the supervisor's own step, as XState intends.
    routeInvoke: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "INVOKE") return;
      if (holdForSuccessor(context, event, enqueue)) return;
      const ref = invokeTarget(context, event.providerId);
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
      if (holdForSuccessor(context, event, enqueue)) return;
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
      if (holdForSuccessor(context, event, enqueue)) return;
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
    /** A provider appears (discovery, config reload); an id already present is replaced instead. */
    addProvider: enqueueActions(({ context, event, enqueue, self, system }) => {
      if (event.type !== "PROVIDER.ADD" && event.type !== "PROVIDER.REPLACE") return;
      const { spec, reply } = event;
      const id = spec.id;
      const draining = context.draining[id];
      if (draining !== undefined) {
        // Its predecessor is still draining: the new spec takes over once it has stopped.
        enqueue.assign({ draining: { ...context.draining, [id]: { ...draining, next: spec, replies: [...draining.replies, reply] } } });
        return;
      }
      const current = context.providers[id];
      if (current === undefined) {
        const systemId = providerSystemId(id);
        enqueue.assign({
          providers: ({ context: now, spawn }) => ({ ...now.providers, [id]: spawn("provider", { id: systemId, systemId, input: { spec } }) }),
        });
        enqueue.emit({ type: "ProviderAdded", providerId: id });
        // warm: true means "start with the hangar"; one that arrives later starts on arrival.
        if (spec.warm) enqueue.raise({ type: "START", providerId: id, reply: () => undefined });
        enqueue(() => {
          reply?.();
        });
        return;
      }
      // A changed spec: the running actor drains, then a fresh one takes over with the new spec.
      cancelRecovery(system, id, enqueue);
      enqueue.assign({
        draining: {
          ...context.draining,
          [id]: { ref: current, next: spec, held: [], replies: [reply], restart: wasRunning(current.getSnapshot().context.state) },
        },
      });
      enqueue.sendTo(current, drainRequest(self, id, current));
    }),
    removeProvider: enqueueActions(({ context, event, enqueue, self, system }) => {
      if (event.type !== "PROVIDER.REMOVE") return;
      const { providerId: id, reply } = event;
      const draining = context.draining[id];
      const current = context.providers[id];
      const { [id]: _removed, ...remaining } = context.providers;
      if (draining !== undefined) {
        // Already draining for a replacement: it is now removed instead; held requests are refused.
        enqueue.assign({ providers: remaining, draining: { ...context.draining, [id]: { ...draining, next: undefined, replies: [...draining.replies, reply] } } });
        if (current !== undefined) enqueue.emit({ type: "ProviderRemoved", providerId: id });
        return;
      }
      if (current === undefined) {
        enqueue(() => {
          reply?.();
        });
        return;
      }
      cancelRecovery(system, id, enqueue);
      // Out of routing at once (its tools leave the view); it finishes its calls, then stops.
      enqueue.assign({ providers: remaining, draining: { ...context.draining, [id]: { ref: current, next: undefined, held: [], replies: [reply], restart: false } } });
      enqueue.emit({ type: "ProviderRemoved", providerId: id });
      enqueue.sendTo(current, drainRequest(self, id, current));
    }),
    /** The drained actor stops; its successor (if any) is spawned and gets the held requests. */
    finishDrain: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "PROVIDER.DRAINED") return;
      const id = event.providerId;
      const draining = context.draining[id];
      if (draining?.ref !== event.ref) return;
      const { [id]: _done, ...stillDraining } = context.draining;
      enqueue.stopChild(draining.ref);
      const next = draining.next;
      const replies = draining.replies;
      if (next === undefined) {
        enqueue.assign({ draining: stillDraining });
        const message = unknownProviderMessage(context, id);
        const held = draining.held;
        enqueue(() => {
          for (const request of held) refuseHeld(request, message);
          for (const reply of replies) reply?.();
        });
        return;
      }
      const systemId = providerSystemId(id);
      const wasPresent = context.providers[id] !== undefined;
      enqueue.assign({
        draining: stillDraining,
        providers: ({ context: now, spawn }) => ({ ...now.providers, [id]: spawn("provider", { id: systemId, systemId, input: { spec: next } }) }),
      });
      enqueue.emit(wasPresent ? { type: "ProviderReplaced", providerId: id } : { type: "ProviderAdded", providerId: id });
      // Sent after the spawn above: the new actor handles them in order, the restart first.
      if (draining.restart) enqueue.raise({ type: "START", providerId: id, reply: () => undefined });
      for (const request of draining.held) enqueue.raise(request);
      enqueue(() => {
        for (const reply of replies) reply?.();
      });
    }),
    /**
     * After any change of membership: groups follow the providers that joined them. New groups
     * are spawned, gone ones stopped (calls they sent are answered by their members directly),
     * changed settings get a fresh group actor, and members that came or went are sent to the
     * group, whose rebalance saga drains a removed member's calls.
     */
    syncGroups: enqueueActions(({ context, event, enqueue }) => {
      const configured = event.type === "GROUPS.CONFIGURE" ? event.groups : context.configuredGroups;
      const plan = desiredGroups(configured, currentSpecs(context));
      const changes = groupChanges(context.groupPlan, plan.groups);
      for (const conflict of plan.conflicts) {
        if (!context.groupConflicts.some((old) => sameConflict(old, conflict))) enqueue.emit({ type: "GroupJoinRefused", ...conflict });
      }
      const stopped = [...changes.remove, ...changes.replace.map((item) => item.spec.id)];
      for (const id of stopped) {
        const ref = context.groups[id];
        if (ref) enqueue.stopChild(ref);
      }
      const spawned = [...changes.add, ...changes.replace];
      enqueue.assign({
        configuredGroups: configured,
        groupPlan: plan.groups,
        groupConflicts: plan.conflicts,
        groups: ({ context: now, spawn }) => {
          const groups = Object.fromEntries(Object.entries(now.groups).filter(([id]) => !stopped.includes(id)));
          for (const { spec } of spawned) {
            const systemId = groupSystemId(spec.id);
            groups[spec.id] = spawn("group", { id: systemId, systemId, input: { spec } });
          }
          return groups;
        },
      });
      for (const id of changes.remove) enqueue.emit({ type: "GroupRemoved", groupId: id });
      for (const { spec } of changes.replace) enqueue.emit({ type: "GroupReplaced", groupId: spec.id, members: spec.members.map((m) => m.id) });
      for (const { spec, auto } of changes.add) enqueue.emit({ type: "GroupAdded", groupId: spec.id, auto, members: spec.members.map((m) => m.id) });
      for (const change of changes.members) {
        const ref = context.groups[change.groupId];
        if (ref === undefined) continue;
        for (const memberId of change.remove) enqueue.sendTo(ref, { type: "MEMBER.REMOVE", memberId });
        for (const member of change.add) enqueue.sendTo(ref, { type: "MEMBER.ADD", member });
      }
    }),
    stopAllProviders: enqueueActions(({ context, enqueue }) => {
      for (const ref of Object.values(context.providers)) enqueue.sendTo(ref, { type: "STOP", reason: "shutdown" });
      for (const { ref } of Object.values(context.draining)) enqueue.sendTo(ref, { type: "STOP", reason: "shutdown" });
    }),
  },
}).createMachine({
  id: "hangar",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input, spawn }) => ({
    providers: Object.fromEntries(
      input.providers.map((spec) => {
        const systemId = providerSystemId(spec.id);
        return [spec.id, spawn("provider", { id: systemId, systemId, input: { spec, record: input.records?.[spec.id] } })];
      }),
    ),
    // After the providers, so each group's member watch finds its members' actors.
    ...initialGroups(input, (spec) => {
      const systemId = groupSystemId(spec.id);
      return spawn("group", { id: systemId, systemId, input: { spec } });
    }),
    draining: {},
    discovery: spawn("discovery", {
      id: DISCOVERY_SYSTEM_ID,
      systemId: DISCOVERY_SYSTEM_ID,
      input: { providers: input.providers, groupIds: (input.groups ?? []).map((group) => group.id), sources: input.sources ?? [], env: input.env ?? {} },
    }),
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
        "PROVIDER.ADD": { actions: ["addProvider", "syncGroups"], description: "A provider appears (discovery or config reload); it joins its group." },
        "PROVIDER.REPLACE": {
          actions: ["addProvider", "syncGroups"],
          description: "A provider's spec changed: the old actor drains (requests wait), then a fresh one takes over.",
        },
        "PROVIDER.REMOVE": {
          actions: ["removeProvider", "syncGroups"],
          description: "A provider goes away: out of routing and its groups at once, stopped once its calls have finished.",
        },
        "GROUPS.CONFIGURE": {
          actions: "syncGroups",
          description: "A reloaded config's groups: unchanged ones untouched, members added or removed, changed ones replaced.",
        },
        "PROVIDER.DRAINED": { actions: ["finishDrain", "syncGroups"], description: "A draining provider stopped: its successor, if any, takes over." },
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

/** The groups at start-up: configured ones, with the providers that name them, and auto groups. */
function initialGroups(
  input: HangarInput,
  spawnGroup: (spec: GroupSpec) => GroupRef,
): Pick<HangarContext, "groups" | "configuredGroups" | "groupPlan" | "groupConflicts"> {
  const configuredGroups = input.groups ?? [];
  const plan = desiredGroups(configuredGroups, input.providers);
  return {
    groups: Object.fromEntries(Object.values(plan.groups).map(({ spec }) => [spec.id, spawnGroup(spec)])),
    configuredGroups,
    groupPlan: plan.groups,
    groupConflicts: plan.conflicts,
  };
}
