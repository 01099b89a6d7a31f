import type { AnyActorRef } from "xstate";
import { completedEvent, requestedEvent } from "../machines/call-events.js";
import type { CallLane, ToolCall } from "../machines/call.js";
import type { CallDone, ConnectionCallEvent } from "../machines/connection-protocol.js";
import type { LaneCounts, ProviderEvent } from "../machines/provider-types.js";
import type { DomainEvent } from "../shared/domain-events.js";

/** Where a lane's calls are announced: the domain-event bus, under the provider actor's id. */
export type PublishEvent = (source: string, event: DomainEvent) => void;

/**
 * One opening of a provider's serving lane, from the chart's `openLane` to its `closeLane`. A
 * call taken while it is open keeps it (`call.lane`) for good: a call that outlives the opening
 * is settled against the opening it went out on, never against a later one.
 */
class LaneOpening implements CallLane {
  open = true;
  inFlight = 0;
  finished = 0;
  lastCallAt: number | undefined = undefined;
  /**
   * Settles that came while the calls were being handed over (a connection that answers, or fails,
   * a call the moment it gets it): they wait until the calls are announced, so observers hear of a
   * call's request before its outcome, as they do from the chart.
   */
  private early: (() => void)[] | undefined;
  private handingOver = false;

  constructor(
    private readonly provider: AnyActorRef,
    private readonly providerId: string,
    private readonly publish: PublishEvent,
  ) {}

  /** Hands the calls of one tick to the connection, counts them and announces them. */
  take(calls: readonly ToolCall[]): boolean {
    const connection = (this.provider.getSnapshot() as { children: Record<string, AnyActorRef | undefined> }).children.connection;
    // The chart closes the lane before its connection goes; this is a guard, not a path.
    if (connection === undefined) return false;
    for (const call of calls) call.lane = this;
    this.inFlight += calls.length;
    // The write first (it is on the call's critical path), then the bookkeeping, as the chart does.
    const event: ConnectionCallEvent = calls.length === 1 ? { type: "CALL", call: calls[0] as ToolCall } : { type: "CALLS", calls };
    this.handingOver = true;
    try {
      connection.send(event);
    } finally {
      this.handingOver = false;
    }
    for (const call of calls) this.publish(this.provider.id, requestedEvent(this.providerId, call));
    const early = this.early;
    if (early !== undefined) {
      this.early = undefined;
      for (const settle of early) settle();
    }
    return true;
  }

  settle(done: CallDone, answer: () => void, toChart: () => void): void {
    if (this.handingOver) {
      (this.early ??= []).push(() => {
        this.settle(done, answer, toChart);
      });
      return;
    }
    if (!this.open) {
      done.laned = "closed";
      toChart();
      return;
    }
    this.inFlight -= 1;
    if (done.kind !== "ok" && done.kind !== "tool_error") {
      // Every failure is the chart's to judge (a fault closes this lane before the next call).
      done.laned = "open";
      toChart();
      return;
    }
    this.finished += 1;
    this.lastCallAt = Date.now();
    answer();
    this.publish(this.provider.id, completedEvent(this.providerId, done));
  }

  /** What the chart has not been told yet; `finished` starts again from zero once told. */
  report(): LaneCounts {
    const counts = { inFlight: this.inFlight, finished: this.finished, lastCallAt: this.lastCallAt };
    this.finished = 0;
    return counts;
  }
}

/**
 * The serving lanes of every provider actor (see the provider chart's header): the chart opens
 * and closes a provider's lane with injected actions, and while it is open the runtime hands that
 * provider's direct calls to its connection here, without a step of the chart — two steps per call
 * were most of the hangar's own CPU and garbage per call (BENCHMARKS.md, "Counting calls outside
 * xstate"). The chart stays the authority: it opens the lane only while nothing needs judging, a
 * failure reaches it as ever (and a fault closes the lane), and what the lane counted comes back
 * as events (LANE.CLOSED, LANE.ACTIVITY) at a close and at each idle check.
 */
export class ServingLanes {
  private readonly openings = new WeakMap<AnyActorRef, LaneOpening>();

  constructor(private readonly publish: PublishEvent) {}

  /** The chart's `openLane`, `closeLane` and `askLane`, for `providerMachine.provide`. */
  readonly actions = {
    openLane: ({ self, context }: { self: AnyActorRef; context: { spec: { id: string } } }) => {
      this.openings.set(self, new LaneOpening(self, context.spec.id, this.publish));
    },
    closeLane: ({ self }: { self: AnyActorRef }) => {
      const opening = this.openings.get(self);
      this.openings.delete(self);
      if (opening !== undefined) opening.open = false;
      tell(self, { type: "LANE.CLOSED", ...(opening?.report() ?? NOTHING) });
    },
    askLane: ({ self }: { self: AnyActorRef }) => {
      tell(self, { type: "LANE.ACTIVITY", ...(this.openings.get(self)?.report() ?? NOTHING) });
    },
  };

  /** Sends `calls` through the provider's lane when it is open; false when the chart must take them. */
  take(provider: AnyActorRef, calls: readonly ToolCall[]): boolean {
    return this.openings.get(provider)?.take(calls) ?? false;
  }

  /** What the provider's open lane counted and the chart does not know yet (for views). */
  counts(provider: AnyActorRef): Readonly<LaneCounts> | undefined {
    return this.openings.get(provider);
  }
}

const NOTHING: LaneCounts = { inFlight: 0, finished: 0, lastCallAt: undefined };

/**
 * Sent from inside the chart's step: the actor takes it right after that step, behind only what
 * already waited in its mailbox (CALL.DONEs that each say how the lane counted them) and before
 * any new call can be delivered, so the counts it carries are exact.
 */
function tell(provider: AnyActorRef, event: Extract<ProviderEvent, { type: "LANE.CLOSED" | "LANE.ACTIVITY" }>): void {
  provider.send(event);
}
