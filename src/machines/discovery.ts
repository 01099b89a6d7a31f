import { enqueueActions, fromCallback, setup, type AnyActorRef } from "xstate";
import type { DiscoverySourceSpec, GroupSpec, ProviderSpec } from "../config/types.js";
import { STATIC_SOURCE, type SourceType } from "../discovery/precedence.js";
import { approve, type QuarantinedProvider } from "../discovery/quarantine.js";
import { sameSpec } from "../discovery/spec-equality.js";
import { initialState, reconcile, type Conflict, type GroupShadow, type Plan, type ReconcilerState } from "../discovery/reconciler.js";
import {
  discoverySystemId,
  type SourceCommand,
  type SourceInput,
  type SourceReportEvent,
} from "../discovery/source-protocol.js";
import {
  emptyStatus,
  emptySummary,
  quarantineView,
  reportsFor,
  summarize,
  withScan,
  type ChangeSummary,
  type DiscoverResult,
  type SourceStatus,
  type SourceView,
} from "../discovery/status.js";
import type { DomainEvent } from "../shared/domain-events.js";
import { desiredGroups } from "./group-membership.js";
import type { MembershipEvent } from "./membership.js";
import { SUPERVISOR_SYSTEM_ID } from "./supervisor-id.js";
import { ATTACH_OBSERVER } from "./observer-attach.js";

/**
 * The discovery chart (systemId `discovery`, spawned by the supervisor): it owns one source actor
 * per configured source (`discovery:<type>:<name>`, I/O injected with machine.provide), keeps each
 * source's last good report, runs the reconciler on every change — the static config counts as
 * the first-ranked source, so a config reload is reconciled here too — and asks the supervisor to
 * add, replace or remove providers. The sources watch; nothing here polls.
 */
export const DISCOVERY_SYSTEM_ID = "discovery";

/** How long registry_discover waits for every source to answer its SYNC. */
const DISCOVER_TIMEOUT_MS = 15_000;
const GRACE_TIMER_ID = "graceTimer";
const DISCOVER_TIMER_ID = "discoverTimer";

export interface DiscoveryInput {
  providers: ProviderSpec[];
  /** The configured groups' ids: no discovered provider may take one (it would shadow the group). */
  groupIds?: string[];
  sources: DiscoverySourceSpec[];
  env: NodeJS.ProcessEnv;
}

interface PendingDiscover {
  syncId: number;
  waiting: string[];
  summary: ChangeSummary;
  reply: (result: DiscoverResult) => void;
}

export interface DiscoveryContext {
  staticSpecs: ProviderSpec[];
  /** The configured groups' ids (the main config's `mode: group` entries), as of the last reload. */
  groupIds: string[];
  /** Discovered providers refused because a configured group has their id. */
  groupShadows: GroupShadow[];
  sources: DiscoverySourceSpec[];
  env: NodeJS.ProcessEnv;
  statuses: Record<string, SourceStatus>;
  state: ReconcilerState;
  quarantined: QuarantinedProvider[];
  conflicts: Conflict[];
  /** Sources that reported more than max_providers: what was cut. */
  truncated: Plan["truncated"];
  refs: Record<string, AnyActorRef>;
  nextSyncId: number;
  pending: PendingDiscover | undefined;
}

export interface ReloadResult {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

export type DiscoveryEvent =
  | SourceReportEvent
  | { type: "DISCOVER"; reply: (result: DiscoverResult) => void }
  | { type: "DISCOVER.TIMEOUT"; syncId: number }
  | { type: "SOURCES"; reply: (views: SourceView[]) => void }
  | { type: "QUARANTINE"; reply: (items: { provider: string; source: string; spec: ProviderSpec }[]) => void }
  | { type: "APPROVE"; providerId: string; reply: (approved: { ok: boolean; message: string }) => void }
  | {
      type: "CONFIG.RELOAD";
      providers: ProviderSpec[];
      groups: GroupSpec[];
      sources: DiscoverySourceSpec[];
      file: string;
      reply: (result: ReloadResult) => void;
    }
  | { type: "RECONCILE" };

/** The source actor logic names, one per source type (placeholders until provided). */
const SOURCE_LOGIC = {
  filesystem: "filesystemSource",
  packages: "packagesSource",
  docker: "dockerSource",
  kubernetes: "kubernetesSource",
} as const satisfies Record<SourceType, string>;

const unavailableSource = (type: SourceType) =>
  fromCallback<SourceCommand, SourceInput>(({ input, sendBack, receive }) => {
    const report = (syncId?: number): void => {
      sendBack({
        type: "SOURCE.REPORT",
        sourceId: input.source.id,
        scan: { specs: undefined, error: `no ${type} source is available in this build`, rejected: [] },
        ...(syncId === undefined ? {} : { syncId }),
      } satisfies SourceReportEvent);
    };
    queueMicrotask(() => {
      report();
    });
    receive((event) => {
      report(event.syncId);
    });
  });

function sourceView(source: DiscoverySourceSpec, status: SourceStatus | undefined, state: ReconcilerState): SourceView {
  return {
    source: source.id,
    type: source.type,
    mode: source.mode,
    grace_s: source.graceS,
    quarantine: source.quarantine,
    max_providers: source.maxProviders,
    health: status?.lastSyncAt === undefined ? "waiting" : status.error === undefined ? "ok" : "error",
    last_sync: status?.lastSyncAt === undefined ? undefined : new Date(status.lastSyncAt).toISOString(),
    providers: Object.values(state.applied).filter((item) => item.source === source.id).length,
    last_error: status?.error,
    rejected: status?.rejected ?? [],
  };
}

function truncationMessage(cut: { reported: number; kept: number }): string {
  return `reported ${cut.reported} providers; only the first ${cut.kept} (by id) are used (max_providers_per_source)`;
}

function sameConflict(a: Conflict, b: Conflict): boolean {
  return a.providerId === b.providerId && a.winner === b.winner && a.loser === b.loser;
}

export const discoveryMachine = setup({
  types: {
    context: {} as DiscoveryContext,
    events: {} as DiscoveryEvent,
    input: {} as DiscoveryInput,
    emitted: {} as DomainEvent,
  },
  actors: {
    filesystemSource: unavailableSource("filesystem"),
    packagesSource: unavailableSource("packages"),
    dockerSource: unavailableSource("docker"),
    kubernetesSource: unavailableSource("kubernetes"),
  },
  actions: {
    attachObserver: enqueueActions(() => undefined),
    recordReport: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "SOURCE.REPORT") return;
      const now = Date.now();
      const before = context.statuses[event.sourceId] ?? emptyStatus();
      const status = withScan(before, event.scan, now);
      enqueue.assign({ statuses: { ...context.statuses, [event.sourceId]: status } });
      if (event.scan.error !== undefined && event.scan.error !== before.error) {
        enqueue.emit({ type: "DiscoverySourceFailed", source: event.sourceId, message: event.scan.error });
      }
      if (event.scan.specs !== undefined) {
        enqueue.emit({ type: "DiscoverySourceSynced", source: event.sourceId, providerCount: event.scan.specs.length });
      }
    }),
    /** Runs the reconciler over every source's last good set and applies the plan. */
    reconcileAll: enqueueActions(({ context, enqueue, system }) => {
      const reports = reportsFor(context.staticSpecs, context.sources, context.statuses, context.state.applied);
      const now = Date.now();
      const plan = reconcile(context.state, reports, now, new Set(context.groupIds));
      const supervisor = system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
      if (supervisor) {
        for (const item of plan.add) enqueue.sendTo(supervisor, { type: "PROVIDER.ADD", spec: item.spec } satisfies MembershipEvent);
        for (const item of plan.update) enqueue.sendTo(supervisor, { type: "PROVIDER.REPLACE", spec: item.spec } satisfies MembershipEvent);
        for (const item of plan.remove) enqueue.sendTo(supervisor, { type: "PROVIDER.REMOVE", providerId: item.providerId } satisfies MembershipEvent);
      }
      for (const event of discoveryEvents(context, plan)) enqueue.emit(event);
      enqueue.assign({
        state: plan.state,
        quarantined: plan.quarantined,
        conflicts: plan.conflicts,
        groupShadows: plan.groupShadows,
        truncated: plan.truncated,
        pending: context.pending === undefined ? undefined : { ...context.pending, summary: summarize(context.pending.summary, plan) },
      });
      // Removals waiting for a grace period: reconcile again when the first is due.
      enqueue.cancel(GRACE_TIMER_ID);
      const due = Math.min(...plan.pending.map((item) => item.dueAt));
      if (Number.isFinite(due)) enqueue.raise({ type: "RECONCILE" }, { id: GRACE_TIMER_ID, delay: Math.max(0, due - now) });
    }),
    startDiscover: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "DISCOVER") return;
      const syncId = context.nextSyncId;
      const previous = context.pending;
      // One discover at a time: a second caller gets the same answer as the first.
      const reply =
        previous === undefined
          ? event.reply
          : (result: DiscoverResult) => {
              previous.reply(result);
              event.reply(result);
            };
      enqueue.assign({
        nextSyncId: syncId + 1,
        pending: { syncId, waiting: context.sources.map((source) => source.id), summary: emptySummary(), reply },
      });
      for (const ref of Object.values(context.refs)) enqueue.sendTo(ref, { type: "SYNC", syncId } satisfies SourceCommand);
      // Without sources there is nobody to wait for.
      const delay = context.sources.length === 0 ? 0 : DISCOVER_TIMEOUT_MS;
      enqueue.raise({ type: "DISCOVER.TIMEOUT", syncId }, { id: DISCOVER_TIMER_ID, delay });
    }),
    /** A source answered the pending SYNC (or the wait timed out): reply once all have. */
    settleDiscover: enqueueActions(({ context, event, enqueue }) => {
      const pending = context.pending;
      if (pending === undefined) return;
      let waiting = pending.waiting;
      if (event.type === "SOURCE.REPORT" && event.syncId === pending.syncId) waiting = waiting.filter((id) => id !== event.sourceId);
      const timedOut = event.type === "DISCOVER.TIMEOUT" && event.syncId === pending.syncId;
      if (waiting.length > 0 && !timedOut) {
        enqueue.assign({ pending: { ...pending, waiting } });
        return;
      }
      enqueue.cancel(DISCOVER_TIMER_ID);
      enqueue.assign({ pending: undefined });
      const errors = context.sources.flatMap((source) => {
        const message = context.statuses[source.id]?.error;
        return message === undefined ? [] : [{ source: source.id, message }];
      });
      for (const id of waiting) errors.push({ source: id, message: `did not answer within ${DISCOVER_TIMEOUT_MS / 1000}s` });
      for (const cut of context.truncated) errors.push({ source: cut.source, message: truncationMessage(cut) });
      // Providers naming a group id that is a provider's (the supervisor runs them on their own).
      const joinConflicts = [
        ...desiredGroups([], Object.values(context.state.applied).map((item) => item.spec)).conflicts,
        ...context.groupShadows.map((shadow) => ({ providerId: shadow.providerId, groupId: shadow.providerId, message: shadow.message })),
      ];
      const result: DiscoverResult = {
        ...pending.summary,
        quarantined: quarantineView(context.quarantined),
        conflicts: context.conflicts,
        group_conflicts: joinConflicts.map((conflict) => ({ provider: conflict.providerId, group: conflict.groupId, message: conflict.message })),
        errors,
      };
      enqueue(() => {
        pending.reply(result);
      });
    }),
    replySources: ({ context, event }) => {
      if (event.type !== "SOURCES") return;
      event.reply(
        context.sources.map((source) => {
          const view = sourceView(source, context.statuses[source.id], context.state);
          const cut = context.truncated.find((item) => item.source === source.id);
          return cut === undefined ? view : { ...view, truncated: truncationMessage(cut) };
        }),
      );
    },
    replyQuarantine: ({ context, event }) => {
      if (event.type !== "QUARANTINE") return;
      event.reply(context.quarantined.map((item) => ({ provider: item.providerId, source: item.source, spec: item.spec })));
    },
    approveProvider: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "APPROVE") return;
      const approvals = approve(context.state.approvals, context.quarantined, event.providerId);
      const reply = event.reply;
      if (approvals === undefined) {
        const waiting = context.quarantined.map((item) => item.providerId);
        const message = `'${event.providerId}' is not in quarantine; waiting: ${waiting.length > 0 ? waiting.join(", ") : "(none)"}`;
        enqueue(() => {
          reply({ ok: false, message });
        });
        return;
      }
      const source = approvals[event.providerId] ?? "";
      enqueue.assign({ state: { ...context.state, approvals } });
      enqueue.emit({ type: "DiscoveryProviderApproved", providerId: event.providerId, source });
      enqueue(() => {
        reply({ ok: true, message: `approved '${event.providerId}' from ${source}` });
      });
    }),
    /** A reloaded config: new static providers, and sources started, stopped or restarted as changed. */
    applyReload: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONFIG.RELOAD") return;
      const before = new Map(context.sources.map((source) => [source.id, JSON.stringify(source)]));
      const after = new Map(event.sources.map((source) => [source.id, JSON.stringify(source)]));
      // Sources that changed or went away stop (closing their watchers); changed and new ones start below.
      for (const [id, text] of before) {
        const ref = context.refs[id];
        if (after.get(id) !== text && ref) enqueue.stopChild(ref);
      }
      const refs = Object.fromEntries(Object.entries(context.refs).filter(([id]) => before.get(id) === after.get(id)));
      const statuses = Object.fromEntries(Object.entries(context.statuses).filter(([id]) => after.has(id)));
      enqueue.assign({
        staticSpecs: event.providers,
        groupIds: event.groups.map((group) => group.id),
        sources: event.sources,
        statuses,
        refs: ({ spawn }) => {
          const next = { ...refs };
          for (const source of event.sources) {
            if (before.get(source.id) === after.get(source.id)) continue;
            const systemId = discoverySystemId(source.id);
            next[source.id] = spawn(SOURCE_LOGIC[source.type], { id: systemId, systemId, input: { source, env: context.env } });
          }
          return next;
        },
      });
    }),
    /** After the providers' changes (so new members' actors exist): the reloaded config's groups. */
    configureGroups: enqueueActions(({ event, enqueue, system }) => {
      if (event.type !== "CONFIG.RELOAD") return;
      const supervisor = system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
      if (supervisor) enqueue.sendTo(supervisor, { type: "GROUPS.CONFIGURE", groups: event.groups });
    }),
    replyReload: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "CONFIG.RELOAD") return;
      // Runs before applyReload: the old static set is still in the context.
      const reply = event.reply;
      const result = reloadResult(context.staticSpecs, event.providers);
      enqueue.emit({ type: "ConfigReloaded", file: event.file, ...result });
      enqueue(() => {
        reply(result);
      });
    }),
  },
}).createMachine({
  id: "discovery",
  // First of all: the runtime subscribes the domain-event bus here (see observer-attach.ts).
  entry: ATTACH_OBSERVER,
  context: ({ input, spawn }) => ({
    staticSpecs: input.providers,
    groupIds: input.groupIds ?? [],
    groupShadows: [],
    sources: input.sources,
    env: input.env,
    statuses: {},
    state: initialState(input.providers),
    quarantined: [],
    conflicts: [],
    truncated: [],
    refs: Object.fromEntries(
      input.sources.map((source) => {
        const systemId = discoverySystemId(source.id);
        return [source.id, spawn(SOURCE_LOGIC[source.type], { id: systemId, systemId, input: { source, env: input.env } })];
      }),
    ),
    nextSyncId: 1,
    pending: undefined,
  }),
  initial: "watching",
  states: {
    watching: {
      description: "Sources watch their backends and report; every report is reconciled at once.",
      on: {
        "SOURCE.REPORT": {
          actions: ["recordReport", "reconcileAll", "settleDiscover"],
          description: "A source's view changed (or it answered a SYNC): reconcile and apply.",
        },
        DISCOVER: { actions: "startDiscover", description: "registry_discover: every source scans now; answer once all reported." },
        "DISCOVER.TIMEOUT": { actions: "settleDiscover", description: "A source did not answer the SYNC in time: answer without it." },
        RECONCILE: { actions: "reconcileAll", description: "A grace period ended: removals that are due happen now." },
        SOURCES: { actions: "replySources", description: "registry_sources." },
        QUARANTINE: { actions: "replyQuarantine", description: "registry_quarantine." },
        APPROVE: {
          actions: ["approveProvider", "reconcileAll"],
          description: "registry_approve: the provider leaves quarantine and is added.",
        },
        "CONFIG.RELOAD": {
          actions: ["replyReload", "applyReload", "reconcileAll", "configureGroups"],
          description: "Hot reload of the main config: static providers and sources reconciled like any source, then the groups.",
        },
      },
    },
  },
});

/** The domain events of one plan: each change once, each conflict the first time it is seen. */
function discoveryEvents(context: DiscoveryContext, plan: Plan): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const item of plan.add) {
    if (item.source !== STATIC_SOURCE) events.push({ type: "DiscoveryProviderAdded", providerId: item.spec.id, source: item.source });
  }
  for (const item of plan.update) {
    if (item.source !== STATIC_SOURCE) events.push({ type: "DiscoveryProviderUpdated", providerId: item.spec.id, source: item.source });
  }
  for (const item of plan.remove) {
    if (item.source !== STATIC_SOURCE) {
      events.push({ type: "DiscoveryProviderRemoved", providerId: item.providerId, source: item.source, reason: item.reason });
    }
  }
  for (const item of plan.quarantined) {
    if (!context.quarantined.some((old) => old.providerId === item.providerId && old.source === item.source)) {
      events.push({ type: "DiscoveryProviderQuarantined", providerId: item.providerId, source: item.source });
    }
  }
  for (const conflict of plan.conflicts) {
    if (!context.conflicts.some((old) => sameConflict(old, conflict))) events.push({ type: "DiscoveryConflict", ...conflict });
  }
  // Reported like a provider that asks to join a group that is a provider's: once, when first seen.
  for (const shadow of plan.groupShadows) {
    if (!context.groupShadows.some((old) => old.providerId === shadow.providerId && old.source === shadow.source)) {
      events.push({ type: "GroupJoinRefused", groupId: shadow.providerId, providerId: shadow.providerId, message: shadow.message });
    }
  }
  return events;
}

/** The static providers of a reloaded config against the previous config's. */
function reloadResult(before: ProviderSpec[], after: ProviderSpec[]): ReloadResult {
  const old = new Map(before.map((spec) => [spec.id, spec]));
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const spec of after) {
    const previous = old.get(spec.id);
    if (previous === undefined) added.push(spec.id);
    else if (sameSpec(previous, spec)) unchanged += 1;
    else changed.push(spec.id);
  }
  const kept = new Set(after.map((spec) => spec.id));
  return { added, changed, removed: before.map((spec) => spec.id).filter((id) => !kept.has(id)), unchanged };
}
