import { newCorrelationId } from "../shared/correlation-id.js";
import {
  createActor,
  type ActorRefFrom,
  type AnyActorRef,
  type CallbackActorLogic,
  type EventFromLogic,
  type InspectionEvent,
  type PromiseActorLogic,
  type StateValue,
} from "xstate";
import type { HangarConfig, ProviderSpec } from "../config/types.js";
import type { CallOutcome, CallProgress, MemberAdmission, ProviderRequest, ToolCall } from "../machines/call.js";
import type { ConnectionCallEvent, ConnectionInput, ProbeResult } from "../machines/connection-protocol.js";
import { groupTools, groupView, type GroupView } from "../machines/group-view.js";
import { groupMachine, type MemberDelivery } from "../machines/group.js";
import { hangarMachine, passThroughTarget, type GroupRef, type ProviderRef } from "../machines/hangar.js";
import { failoverSaga } from "../machines/sagas/failover.js";
import { rebalanceSaga } from "../machines/sagas/rebalance.js";
import { recoverySaga } from "../machines/sagas/recovery.js";
import {
  providerMachine,
  SUPERVISOR_SYSTEM_ID,
  type HealthProbeInput,
  type LaneCounts,
  statsWithLane,
  type ProviderRecord,
  type StartResult,
} from "../machines/provider.js";
import { discoveryMachine, type ReloadResult } from "../machines/discovery.js";
import type { SourceType } from "../discovery/precedence.js";
import type { SourceCommand, SourceInput } from "../discovery/source-protocol.js";
import type { DiscoverResult, SourceView } from "../discovery/status.js";
import { listedTools, providerView, type ListedTool, type ProviderView } from "../machines/provider-view.js";
import { DomainEventBus } from "../observability/domain-event-bus.js";
import { TickInvokes } from "./tick-invokes.js";
import { ServingLanes } from "./serving-lanes.js";
import { GroupLanes } from "./group-lanes.js";
import type { CallTracer, RequestHeaders } from "../observability/tracing/call-tracer.js";
import { toolFilterOf } from "../security/tool-filter.js";
import type { ClientBridge } from "../actors/provider-requests.js";
import type { CallOrigin } from "../shared/call-origin.js";
import type { DomainEvent } from "../shared/domain-events.js";

export type ConnectionLogic = CallbackActorLogic<ConnectionCallEvent, ConnectionInput>;
export type HealthProbeLogic = PromiseActorLogic<ProbeResult, HealthProbeInput>;

export interface HangarRuntimeOptions {
  /** The I/O behind every provider: a subprocess in production, anything in tests. */
  connection: ConnectionLogic;
  /** The health probe behind every provider (asks the connection to ping). */
  healthProbe?: HealthProbeLogic;
  /** Awaited after the actor system stops: resolves when every provider process is gone. */
  awaitProcessesGone?: () => Promise<void>;
  inspect?: (event: InspectionEvent) => void;
  onObserverError?: (error: unknown) => void;
  /** The actors behind each discovery source type (src/actors/discovery-*.ts); a missing one reports itself unavailable. */
  sources?: Partial<Record<SourceType, SourceLogic>>;
  /** The environment `${VAR}`s in discovered provider files are read from (default: the hangar's). */
  env?: NodeJS.ProcessEnv;
  /** Per provider id: counters replayed from the audit trail at start-up. */
  records?: Record<string, ProviderRecord>;
  /** Where registry_history reads a provider's past (the audit trail); absent when audit is off. */
  history?: ProviderHistorySource;
  /** The bridge the connection was built with (see createProviderConnection), for the front ends to share. */
  bridge?: ClientBridge;
  /** Traces every call (src/observability/tracing/); absent when tracing and Langfuse are off. */
  callTracer?: CallTracer;
  /**
   * false: groups route every call through their chart's steps, as before group lanes (for
   * comparing the two paths in tests and benchmarks); default true.
   */
  groupLanes?: boolean;
}

/** A provider's recent transitions and calls, as stored (see observability/audit). */
export interface ProviderHistorySource {
  recent: (providerId: string, limit: number) => { transitions: object[]; calls: object[] };
}

export type SourceLogic = CallbackActorLogic<SourceCommand, SourceInput>;

export interface InvokeOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  meta?: Record<string, unknown>;
  correlationId?: string;
  /** The authenticated principal's name (HTTP front end), carried with the call for logs and audit. */
  principal?: string;
  /** The provider's progress for this call (asks the provider for progress; see ToolCall.onProgress). */
  onProgress?: (progress: CallProgress) => void;
  /** Another method than tools/call (see ToolCall.request); `tool` then names the method. */
  request?: ProviderRequest;
  /** The client session that asked (see ToolCall.origin). */
  origin?: CallOrigin;
  /** The client session the call came in on (for traces). */
  sessionId?: string;
  /** The HTTP request's headers (HTTP front end): an incoming `traceparent` is continued. */
  headers?: RequestHeaders;
  /** A group call's admission of the member it picks (see ToolCall.admitMember). */
  admitMember?: MemberAdmission;
  /**
   * Called with the outcome the moment the call settles, before the provider actor is told the
   * call is done (CALL.DONE, its domain event and observers): a front end answers its client
   * first and the bookkeeping runs while the client reads. The promise resolves as ever.
   */
  onOutcome?: (outcome: CallOutcome) => void;
}

/**
 * The hangar as the front ends see it: promises in, messages to the root actor out. It owns the
 * actor system's lifetime and the domain-event bus.
 */
export class HangarRuntime {
  readonly events: DomainEventBus;
  private readonly actor: ActorRefFrom<typeof hangarMachine>;
  private shuttingDown: Promise<void> | undefined;
  private started = false;
  /** The calls of this tick, sent per target in one event when its microtasks run (see TickInvokes). */
  private readonly invokes = new TickInvokes((providerId, calls) => {
    this.deliver(providerId, calls);
  });
  /**
   * The group chart's `sendToMember`: a group's attempt goes out as a direct call to that member
   * does (with the tick's calls, after the group's step; through the member's lane when open).
   */
  private readonly sendToMember = (_: unknown, { member, call }: MemberDelivery): void => {
    this.invokes.add(member, call);
  };
  /** Each provider's serving lane, opened and closed by its chart (see serving-lanes.ts). */
  private readonly lanes: ServingLanes;
  /** Each group's serving lane, opened and closed by its chart (see group-lanes.ts). */
  private readonly groupLanes: GroupLanes;

  constructor(
    readonly config: HangarConfig,
    private readonly options: HangarRuntimeOptions,
  ) {
    this.events = new DomainEventBus(options.onObserverError);
    const publish = (source: string, event: DomainEvent): void => {
      this.events.publish(source, event);
    };
    this.lanes = new ServingLanes(publish);
    this.groupLanes = new GroupLanes((member, call) => {
      this.invokes.add(member, call);
    }, publish);
    const sources = options.sources ?? {};
    // Every chart that emits runs this first (see observer-attach.ts), so every actor of the
    // system — providers restarted by recovery, sagas, groups, discovery — feeds the one bus from
    // its first event, and no actor pays for inspection on each step.
    const actions = {
      attachObserver: ({ self }: { self: AnyActorRef }) => {
        this.observe(self);
      },
    };
    const machine = hangarMachine.provide({
      actions,
      actors: {
        provider: providerMachine.provide({
          actions: { ...actions, ...this.lanes.actions },
          actors: { connection: options.connection, ...(options.healthProbe ? { healthProbe: options.healthProbe } : {}) },
        }),
        recoverySaga: recoverySaga.provide({ actions }),
        group: groupMachine.provide({
          actions: { ...actions, sendToMember: this.sendToMember, ...(options.groupLanes === false ? {} : this.groupLanes.actions) },
          actors: { failoverSaga: failoverSaga.provide({ actions }), rebalanceSaga: rebalanceSaga.provide({ actions }) },
        }),
        discovery: discoveryMachine.provide({
          actions,
          actors: {
            ...(sources.filesystem ? { filesystemSource: sources.filesystem } : {}),
            ...(sources.packages ? { packagesSource: sources.packages } : {}),
            ...(sources.docker ? { dockerSource: sources.docker } : {}),
            ...(sources.kubernetes ? { kubernetesSource: sources.kubernetes } : {}),
          },
        }),
      },
    });
    this.actor = createActor(machine, {
      id: SUPERVISOR_SYSTEM_ID,
      systemId: SUPERVISOR_SYSTEM_ID,
      input: {
        providers: config.providers,
        groups: config.groups ?? [],
        sources: config.discovery ?? [],
        env: options.env ?? process.env,
        ...(options.records === undefined ? {} : { records: options.records }),
      },
      // Only when asked for (--inspect): an observer makes every actor describe every step.
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
  }

  private observe(ref: AnyActorRef): void {
    const source = ref.id;
    ref.on("*", (event: DomainEvent) => {
      this.events.publish(source, event);
    });
  }

  /** The bridge between provider connections and client sessions, when the connection has one. */
  get bridge(): ClientBridge | undefined {
    return this.options.bridge;
  }

  // Every read and every other message first sends the calls of this tick still waiting: what
  // follows a call finds it where it would be had it been sent at once.
  private get providers(): Record<string, ProviderRef> {
    return this.supervisorContext().providers;
  }

  private get groups(): Record<string, GroupRef> {
    return this.supervisorContext().groups;
  }

  private supervisorContext() {
    this.invokes.flush();
    return this.actor.getSnapshot().context;
  }

  /**
   * The supervisor's context without sending the calls of this tick first: only for what no call
   * can change (which actors there are, a provider's spec, a group's members). The security
   * controls read a provider's spec (and whether it is a group) for every call they admit; had
   * those reads sent what waits, each call of a client's chunk would reach its provider alone,
   * sent by the next call's admission, instead of all of them in one INVOKE.BATCH.
   */
  private actorsAsTheyAre() {
    return this.actor.getSnapshot().context;
  }

  private tell(event: EventFromLogic<typeof hangarMachine>): void {
    this.invokes.flush();
    this.actor.send(event);
  }

  start(): this {
    this.started = true;
    this.actor.start();
    return this;
  }

  /** Liveness of the actor system: `running` from start() until shutdown stops the supervisor. */
  systemStatus(): "not_started" | "running" | "stopped" {
    if (!this.started) return "not_started";
    return this.shuttingDown === undefined && this.actor.getSnapshot().status === "active" ? "running" : "stopped";
  }

  /** The audit trail's view of providers' past, when audit is on. */
  get history(): ProviderHistorySource | undefined {
    return this.options.history;
  }

  providerIds(): string[] {
    return Object.keys(this.providers);
  }

  hasProvider(providerId: string): boolean {
    return providerId in this.providers;
  }

  spec(providerId: string): ProviderSpec | undefined {
    return this.actorsAsTheyAre().providers[providerId]?.getSnapshot().context.spec;
  }

  /** The tools a provider lists now (live ∪ predefined), read without a round trip; for a group, its members' union. */
  tools(providerId: string): ListedTool[] {
    const ref = this.providers[providerId];
    if (ref) return listedTools(ref.getSnapshot().context);
    const group = this.groups[providerId];
    if (!group) return [];
    const members = group.getSnapshot().context.members.flatMap((member) => {
      const memberRef = this.providers[member.id];
      return memberRef ? [memberRef.getSnapshot().context] : [];
    });
    // A tool any member filters out is not the group's: a call to it could land on that member.
    const filters = members.map((context) => toolFilterOf(context.spec.security));
    return groupTools(members.map((context) => listedTools(context))).filter((listed) =>
      filters.every((filter) => filter.refusal(listed.tool.name) === undefined),
    );
  }

  groupIds(): string[] {
    return Object.keys(this.groups);
  }

  hasGroup(groupId: string): boolean {
    return groupId in this.groups;
  }

  /** The groups a provider is a member of (their tools change with its tools). */
  groupsOf(providerId: string): string[] {
    return Object.entries(this.groups)
      .filter(([, ref]) => ref.getSnapshot().context.members.some((member) => member.id === providerId))
      .map(([groupId]) => groupId);
  }

  /** A group's member ids; undefined when `id` is not a group. */
  groupMemberIds(id: string): string[] | undefined {
    return this.actorsAsTheyAre().groups[id]?.getSnapshot().context.members.map((member) => member.id);
  }

  groupView(groupId: string): GroupView | undefined {
    const ref = this.groups[groupId];
    if (!ref) return undefined;
    const view = groupView(ref.getSnapshot().context);
    // What the group's open lane runs that its chart does not count yet.
    const counts = this.groupLanes.counts(ref);
    if (counts === undefined) return view;
    return { ...view, members: view.members.map((member) => ({ ...member, inFlight: member.inFlight + (counts[member.id] ?? 0) })) };
  }

  /** Whether a group was made for the providers that named it (no `mode: group` entry): it goes with its last member. */
  isAutoGroup(groupId: string): boolean {
    return this.supervisorContext().groupPlan[groupId]?.auto === true;
  }

  /** Recomputes a group's rotation from its members' current states (registry_group_rebalance). */
  rebalanceGroup(groupId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.tell({ type: "GROUP.REBALANCE", groupId, reply: resolve });
    });
  }

  view(providerId: string): ProviderView | undefined {
    const ref = this.providers[providerId];
    return ref ? this.withLane(ref, providerView(ref.getSnapshot().context)) : undefined;
  }

  /** A provider's view with what its open lane counted that the chart has not folded yet. */
  private withLane(ref: ProviderRef, view: ProviderView): ProviderView {
    const counts = this.lanes.counts(ref);
    return counts === undefined ? view : withLaneCounts(view, counts);
  }

  /**
   * Whether a provider's own tool list is on its way and none is known yet: it is starting, or
   * READY with its predefined tools standing in until its tools/list answers. (A list that then
   * fails leaves this true until the provider stops; a call held for it waits out its bound.)
   */
  toolListPending(providerId: string): boolean {
    const context = this.providers[providerId]?.getSnapshot().context;
    if (context === undefined || context.liveTools !== undefined) return false;
    if (context.state === "INITIALIZING") return true;
    return (context.state === "READY" || context.state === "DEGRADED") && context.spec.tools.length > 0;
  }

  /** The provider actor's current state value (every region), for diagrams of its chart. */
  stateValue(providerId: string): StateValue | undefined {
    return this.providers[providerId]?.getSnapshot().value;
  }

  invoke(
    providerId: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    options: InvokeOptions = {},
  ): Promise<CallOutcome> {
    const call = toolCallOf(tool, args, options);
    const tracer = this.options.callTracer;
    if (tracer === undefined) return this.send(providerId, call, options.onOutcome);
    return this.traced(tracer, providerId, call, options);
  }

  /**
   * A call whose outcome goes to `reply` alone, with no promise: the stdio and HTTP front ends'
   * short route, which answers its client from the outcome (answer first) and has nothing to
   * await. Per call that spares the promise, its resolving functions and the microtasks a
   * promise's reactions take (the handler's await, its async function's promise and the
   * router's reaction to it). `reply` is called exactly once, as `onOutcome` would be.
   */
  dispatch(
    providerId: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    options: InvokeOptions,
    reply: (outcome: CallOutcome) => void,
  ): void {
    const call = toolCallOf(tool, args, options);
    const tracer = this.options.callTracer;
    if (tracer === undefined) {
      this.submit(providerId, call, reply);
      return;
    }
    void this.traced(tracer, providerId, call, { ...options, onOutcome: reply });
  }

  /** `call` in its span: the tracer opens it, sends the call with its CallTrace and ends it with the outcome. */
  private traced(tracer: CallTracer, providerId: string, call: ToolCall, options: InvokeOptions): Promise<CallOutcome> {
    const traced = {
      providerId,
      tool: call.tool,
      arguments: call.arguments,
      correlationId: call.correlationId,
      principal: call.principal,
      sessionId: options.sessionId,
      meta: call.meta,
      headers: options.headers,
    };
    return tracer.traceCall(traced, (trace) => {
      call.trace = trace;
      return this.send(providerId, call, options.onOutcome);
    });
  }

  /** Sends `call` with a promise of its outcome (handed to `onOutcome` first, when given). */
  private send(providerId: string, call: ToolCall, onOutcome: ((outcome: CallOutcome) => void) | undefined): Promise<CallOutcome> {
    return new Promise<CallOutcome>((resolve) => {
      this.submit(providerId, call, onOutcome === undefined ? resolve : answeringFirst(onOutcome, resolve));
    });
  }

  /** `call` goes out with its reply: with the tick's other calls once started, to the supervisor before. */
  private submit(providerId: string, call: ToolCall, reply: (outcome: CallOutcome) => void): void {
    call.reply = reply;
    if (this.started) this.invokes.add(providerId, call);
    else this.tell({ type: "INVOKE", providerId, call });
  }

  /**
   * A plain call skips the supervisor's step: the actor it would pass the call to gets it now
   * (a provider takes the calls of one tick in one step, INVOKE.BATCH); held, unknown or after
   * shutdown, the supervisor decides.
   */
  private deliver(providerId: string, calls: ToolCall[]): void {
    const supervisor = this.actor.getSnapshot();
    const target = passThroughTarget(supervisor, providerId);
    const provider = target !== undefined && supervisor.context.providers[providerId] === target ? target : undefined;
    // A provider serving with nothing for its chart to judge takes the calls through its lane.
    if (provider !== undefined && this.lanes.take(provider, calls)) return;
    // So does a group: each call its lane takes is routed without a step of the group chart.
    if (target !== undefined && provider === undefined && supervisor.context.groups[providerId] === target) {
      for (const call of calls) if (!this.groupLanes.take(target, call)) target.send({ type: "INVOKE", call });
      return;
    }
    if (provider !== undefined && calls.length > 1) {
      provider.send({ type: "INVOKE.BATCH", calls });
      return;
    }
    for (const call of calls) {
      if (target !== undefined) target.send({ type: "INVOKE", call });
      else this.actor.send({ type: "INVOKE", providerId, call });
    }
  }

  startProvider(providerId: string): Promise<StartResult> {
    return new Promise<StartResult>((resolve) => {
      this.tell({ type: "START", providerId, reply: resolve });
    });
  }

  stopProvider(providerId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.tell({ type: "STOP", providerId, reason: "manual", reply: resolve });
    });
  }

  status(): Promise<ProviderView[]> {
    return new Promise<ProviderView[]>((resolve) => {
      this.tell({
        type: "STATUS",
        reply: (views) => {
          const providers = this.actorsAsTheyAre().providers;
          resolve(views.map((view) => {
            const ref = providers[view.id];
            return ref === undefined ? view : this.withLane(ref, view);
          }));
        },
      });
    });
  }

  /** Every provider's listed tools, asked of the supervisor. */
  listTools(): Promise<Record<string, ListedTool[]>> {
    return new Promise<Record<string, ListedTool[]>>((resolve) => {
      this.tell({ type: "LIST_TOOLS", reply: resolve });
    });
  }

  /** A new provider (discovery, config reload); resolves once its actor exists. An existing id is replaced. */
  addProvider(spec: ProviderSpec): Promise<void> {
    return new Promise<void>((resolve) => {
      this.tell({ type: "PROVIDER.ADD", spec, reply: resolve });
    });
  }

  /** A changed spec: the provider drains, then a fresh actor takes over; resolves once it has. */
  replaceProvider(spec: ProviderSpec): Promise<void> {
    return new Promise<void>((resolve) => {
      this.tell({ type: "PROVIDER.REPLACE", spec, reply: resolve });
    });
  }

  /** The provider leaves routing at once and stops after its calls finish; resolves once it has. */
  removeProvider(providerId: string): Promise<void> {
    return new Promise<void>((resolve) => {
      this.tell({ type: "PROVIDER.REMOVE", providerId, reply: resolve });
    });
  }

  private get discovery(): ActorRefFrom<typeof discoveryMachine> {
    return this.supervisorContext().discovery;
  }

  /** registry_discover: every source scans now; resolves with what changed and what is held back. */
  discover(): Promise<DiscoverResult> {
    return new Promise<DiscoverResult>((resolve) => {
      this.discovery.send({ type: "DISCOVER", reply: resolve });
    });
  }

  /** registry_sources: each source's mode, health, last sync, provider count and last error. */
  sources(): Promise<SourceView[]> {
    return new Promise<SourceView[]>((resolve) => {
      this.discovery.send({ type: "SOURCES", reply: resolve });
    });
  }

  /** registry_quarantine: discovered providers waiting for approval. */
  quarantine(): Promise<{ provider: string; source: string; spec: ProviderSpec }[]> {
    return new Promise((resolve) => {
      this.discovery.send({ type: "QUARANTINE", reply: resolve });
    });
  }

  /** registry_approve: a quarantined provider is admitted (and added at once). */
  approve(providerId: string): Promise<{ ok: boolean; message: string }> {
    return new Promise((resolve) => {
      this.discovery.send({ type: "APPROVE", providerId, reply: resolve });
    });
  }

  /**
   * Hot reload: the new config's providers, groups and sources replace the old ones. Unchanged
   * providers and groups are left alone, changed providers drain and restart, removed ones stop,
   * added ones appear; groups follow (see src/machines/group-membership.ts).
   */
  reload(config: HangarConfig): Promise<ReloadResult> {
    return new Promise<ReloadResult>((resolve) => {
      this.discovery.send({
        type: "CONFIG.RELOAD",
        providers: config.providers,
        groups: config.groups ?? [],
        sources: config.discovery ?? [],
        file: config.source,
        reply: resolve,
      });
    });
  }

  /** Every provider stops gracefully, pending calls are answered, and no process outlives this. */
  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.tell({ type: "SHUTDOWN" });
      this.actor.stop();
      await this.options.awaitProcessesGone?.();
    })();
    return this.shuttingDown;
  }
}

/**
 * The call as its provider actor will take it, made once and handed along (invoke, traced, send,
 * submit) instead of its parts: the object the runtime built per call already, not one more. Its
 * reply is set as it is sent (submit), where the promise or the dispatch's callback is at hand;
 * its trace, when traced, as its span opens.
 */
function toolCallOf(tool: string, args: Record<string, unknown> | undefined, options: InvokeOptions): ToolCall {
  return {
    tool,
    arguments: args,
    correlationId: options.correlationId ?? newCorrelationId(),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    meta: options.meta,
    principal: options.principal,
    onProgress: options.onProgress,
    request: options.request,
    origin: options.origin,
    admitMember: options.admitMember,
    reply: notSentYet,
    trace: undefined,
  };
}

/** `view` with the counts of its provider's open lane added (calls running and answered there). */
function withLaneCounts(view: ProviderView, counts: Readonly<LaneCounts>): ProviderView {
  if (counts.inFlight === 0 && counts.finished === 0) return view;
  return { ...view, inFlight: view.inFlight + counts.inFlight, stats: statsWithLane(view.stats, counts) };
}

/** The reply of a call not sent yet: submit replaces it before anything can answer the call. */
function notSentYet(): void {
  throw new Error("a call was answered before it was sent");
}

/** A call's reply that hands the outcome to `first` before resolving the invoke promise (which nothing `first` throws may stop). */
function answeringFirst(first: (outcome: CallOutcome) => void, resolve: (outcome: CallOutcome) => void): (outcome: CallOutcome) => void {
  return (outcome) => {
    try {
      first(outcome);
    } finally {
      resolve(outcome);
    }
  };
}
