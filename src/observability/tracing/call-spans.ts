import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { CallOutcome, CallTrace } from "../../machines/call.js";
import type { ProviderStateName, StampedDomainEvent } from "../../shared/domain-events.js";
import { redactor } from "../../shared/redaction.js";
import type { DomainEventBus } from "../domain-event-bus.js";
import type { CallTracer, TracedCall } from "./call-tracer.js";
import { incomingContext, outgoingMeta } from "./propagation.js";

/** Adds to a call's span what a backend needs beyond OpenTelemetry (Langfuse: langfuse.ts). */
export interface CallSpanDecorator {
  started(span: Span, call: TracedCall): void;
  ended(span: Span, call: TracedCall, outcome: CallOutcome, durationMs: number): void;
}

export interface CallSpansOptions {
  /** Share of health probes recorded as spans (0: none). */
  probeSampleRatio: number;
  decorators?: CallSpanDecorator[];
  random?: () => number;
}

/** One call in flight, with the child spans open under it. */
interface OpenCall {
  readonly call: TracedCall;
  readonly span: Span;
  readonly context: Context;
  /** The provider whose state changes this call hears about (a group member once dispatched). */
  providerId: string;
  /** Waiting in INITIALIZING for the provider to be ready. */
  queue: Span | undefined;
  /** The cold start this call set off. */
  coldStart: Span | undefined;
  /** The request to the provider now under way. */
  attempt: Span | undefined;
  attempts: number;
  /** The provider the last attempt went to (a retry goes to the same one, a failover to another). */
  attemptedOn: string | undefined;
}

/**
 * The one observer that turns calls into spans: the call path opens and ends each call's span
 * (traceCall), the actor system's domain events fill in what happened inside — the cold start,
 * queueing while INITIALIZING, each request to a provider (retries and failovers are further
 * attempts), state transitions as span events — and health probes become spans of their own
 * when sampled. The charts know nothing of it.
 */
export class CallSpans implements CallTracer {
  private readonly open = new Map<string, OpenCall>();
  private readonly byProvider = new Map<string, Set<OpenCall>>();
  private readonly states = new Map<string, ProviderStateName>();
  private readonly decorators: CallSpanDecorator[];
  private readonly random: () => number;

  constructor(
    private readonly tracer: Tracer,
    private readonly options: CallSpansOptions,
  ) {
    this.decorators = options.decorators ?? [];
    this.random = options.random ?? Math.random;
  }

  /** Starts reading the actor system's domain events; returns the unsubscribe. */
  observe(bus: DomainEventBus): () => void {
    return bus.subscribe(this.onEvent);
  }

  async traceCall(call: TracedCall, send: (trace: CallTrace) => Promise<CallOutcome>): Promise<CallOutcome> {
    const parent = incomingContext(call.meta, call.headers);
    const span = this.tracer.startSpan(`mcp.tools/call ${call.tool}`, { kind: SpanKind.SERVER, attributes: callAttributes(call) }, parent);
    const open: OpenCall = {
      call,
      span,
      context: trace.setSpan(parent, span),
      providerId: call.providerId,
      queue: undefined,
      coldStart: undefined,
      attempt: undefined,
      attempts: 0,
      attemptedOn: undefined,
    };
    this.track(open);
    for (const decorator of this.decorators) decorator.started(span, call);
    // Already starting: this call will wait in the queue (a COLD provider is seen in onEvent).
    if (this.states.get(call.providerId) === "INITIALIZING") open.queue = this.child(open, "mcp.provider.queue", SpanKind.INTERNAL);
    const startedAt = performance.now();
    let outcome: CallOutcome | undefined;
    try {
      outcome = await context.with(open.context, send, undefined, this.callTrace(open));
      return outcome;
    } finally {
      this.finish(open, outcome, performance.now() - startedAt);
    }
  }

  private callTrace(open: OpenCall): CallTrace {
    return {
      dispatch: (providerId) => this.dispatch(open, providerId),
      route: (providerId) => {
        this.route(open, providerId);
      },
    };
  }

  /**
   * A group sends the call to its member: the call now hears that member's state changes, so the
   * member's cold start and queue become children of the call like a direct call's.
   */
  private route(open: OpenCall, providerId: string): void {
    if (providerId !== open.providerId) this.move(open, providerId);
    if (this.states.get(providerId) === "INITIALIZING") open.queue ??= this.child(open, "mcp.provider.queue", SpanKind.INTERNAL);
  }

  /** A connection is sending the call to `providerId`: a new attempt span, whose context travels in `_meta`. */
  private dispatch(open: OpenCall, providerId: string): Record<string, string> {
    endSpan(open.queue);
    open.queue = undefined;
    const previous = open.attempt;
    if (previous !== undefined) endSpan(previous);
    open.attempts += 1;
    const attributes: Attributes = { "mcp.provider.id": providerId, "mcp.tool.name": open.call.tool, "mcp.attempt": open.attempts };
    if (open.attempts > 1) {
      const kind = providerId === open.attemptedOn ? "retry" : "failover";
      attributes["mcp.attempt.kind"] = kind;
      open.span.addEvent(kind, { "mcp.provider.id": providerId, "mcp.attempt": open.attempts });
    }
    if (providerId !== open.providerId) this.move(open, providerId);
    open.attemptedOn = providerId;
    open.attempt = this.tracer.startSpan(`mcp.provider.call ${open.call.tool}`, { kind: SpanKind.CLIENT, attributes }, open.context);
    return outgoingMeta(open.attempt);
  }

  private finish(open: OpenCall, outcome: CallOutcome | undefined, durationMs: number): void {
    this.untrack(open);
    const failed = outcome === undefined ? failureOf({ kind: "transport", message: "the call threw" }) : failureOf(outcome);
    for (const child of [open.queue, open.coldStart, open.attempt]) {
      if (child === undefined) continue;
      if (failed !== undefined) markFailed(child, failed);
      child.end();
    }
    const span = open.span;
    span.setAttribute("mcp.outcome", outcome?.kind ?? "transport");
    if (failed !== undefined) markFailed(span, failed);
    if (outcome !== undefined) for (const decorator of this.decorators) decorator.ended(span, open.call, outcome, durationMs);
    span.end();
  }

  private readonly onEvent = (event: StampedDomainEvent): void => {
    switch (event.type) {
      case "ProviderStateChanged":
        this.states.set(event.providerId, event.to);
        this.onStateChanged(event.providerId, event.from, event.to, event.reason);
        break;
      case "ProviderStarted":
        for (const open of this.calls(event.providerId)) {
          open.coldStart?.setAttributes({ "process.pid": event.pid ?? -1, "mcp.provider.tool_count": event.toolCount });
        }
        break;
      case "ToolInvocationCompleted":
      case "ToolInvocationFailed": {
        const open = this.open.get(event.correlationId);
        if (open?.attempt === undefined) break;
        open.attempt.setAttribute("mcp.outcome", event.kind);
        if (event.kind !== "ok") markFailed(open.attempt, { kind: event.kind, message: "message" in event ? event.message : undefined });
        open.attempt.end();
        open.attempt = undefined;
        break;
      }
      case "GroupCallRetried": {
        // The group's verdict on a failed attempt; the next attempt's span follows (dispatch).
        this.open.get(event.correlationId)?.span.addEvent("mcp.group.retry", {
          "mcp.group.id": event.groupId,
          "mcp.provider.id": event.failedMember,
          "error.type": event.kind,
          "mcp.group.next_member": event.nextMember,
        });
        break;
      }
      case "CircuitOpened":
      case "CircuitHalfOpened":
      case "CircuitClosed":
      case "RecoveryScheduled":
        for (const open of this.calls(event.providerId)) open.span.addEvent(event.type);
        break;
      case "HealthCheckPassed":
        this.probeSpan(event.providerId, event.timestamp, event.durationMs, undefined);
        break;
      case "HealthCheckFailed":
        this.probeSpan(event.providerId, event.timestamp, undefined, event.message);
        break;
      default:
        break;
    }
  };

  private onStateChanged(providerId: string, from: ProviderStateName, to: ProviderStateName, reason: string): void {
    for (const open of this.calls(providerId)) {
      open.span.addEvent("mcp.provider.state_changed", { "mcp.provider.id": providerId, "mcp.state.from": from, "mcp.state.to": to, "mcp.state.reason": reason });
      if (to === "INITIALIZING" && open.attempt === undefined) {
        // This call set the start off (or came with others in the same step), directly or through
        // a group that routed it here: it waits for it.
        open.coldStart ??= this.child(open, "mcp.provider.cold_start", SpanKind.INTERNAL, { "mcp.state.from": from });
        open.queue ??= this.child(open, "mcp.provider.queue", SpanKind.INTERNAL);
      } else if (from === "INITIALIZING" && open.coldStart !== undefined) {
        if (to !== "READY" && to !== "DEGRADED") markFailed(open.coldStart, { kind: "start_failed", message: reason });
        open.coldStart.end();
        open.coldStart = undefined;
      }
    }
  }

  /** A sampled health probe, recorded after the fact from its domain event. */
  private probeSpan(providerId: string, endedAt: number, durationMs: number | undefined, error: string | undefined): void {
    const ratio = this.options.probeSampleRatio;
    if (ratio <= 0 || this.random() >= ratio) return;
    const span = this.tracer.startSpan("mcp.health_probe", {
      kind: SpanKind.CLIENT,
      root: true,
      startTime: durationMs === undefined ? endedAt : endedAt - durationMs,
      attributes: { "mcp.provider.id": providerId },
    });
    if (error !== undefined) markFailed(span, { kind: "health_check_failed", message: error });
    span.end(endedAt);
  }

  private child(open: OpenCall, name: string, kind: SpanKind, attributes: Attributes = {}): Span {
    return this.tracer.startSpan(name, { kind, attributes: { "mcp.provider.id": open.providerId, ...attributes } }, open.context);
  }

  private calls(providerId: string): Iterable<OpenCall> {
    return this.byProvider.get(providerId) ?? [];
  }

  private track(open: OpenCall): void {
    this.open.set(open.call.correlationId, open);
    let set = this.byProvider.get(open.providerId);
    if (set === undefined) this.byProvider.set(open.providerId, (set = new Set()));
    set.add(open);
  }

  private untrack(open: OpenCall): void {
    this.open.delete(open.call.correlationId);
    const set = this.byProvider.get(open.providerId);
    set?.delete(open);
    if (set?.size === 0) this.byProvider.delete(open.providerId);
  }

  private move(open: OpenCall, providerId: string): void {
    this.untrack(open);
    open.providerId = providerId;
    this.track(open);
  }
}

function callAttributes(call: TracedCall): Attributes {
  const attributes: Attributes = {
    "mcp.method.name": "tools/call",
    "mcp.provider.id": call.providerId,
    "mcp.tool.name": call.tool,
    "mcp.correlation.id": call.correlationId,
  };
  if (call.sessionId !== undefined) attributes["mcp.session.id"] = call.sessionId;
  if (call.principal !== undefined) attributes["enduser.id"] = call.principal;
  return attributes;
}

interface Failed {
  kind: string;
  message: string | undefined;
}

function failureOf(outcome: CallOutcome | Failed): Failed | undefined {
  if ("status" in outcome) {
    if (outcome.kind === "ok") return undefined;
    if (outcome.status === "result") return { kind: outcome.kind, message: "the tool answered with isError" };
    return { kind: outcome.kind, message: outcome.message };
  }
  return outcome;
}

/** `error.type` and an ERROR status; the message goes through the one redactor like every text that leaves. */
function markFailed(span: Span, failed: Failed): void {
  span.setAttribute("error.type", failed.kind);
  span.setStatus({ code: SpanStatusCode.ERROR, ...(failed.message === undefined ? {} : { message: redactor.redact(failed.message) }) });
}

function endSpan(span: Span | undefined): void {
  span?.end();
}
