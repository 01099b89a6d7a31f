import type { AnyActorRef } from "xstate";
import { failure, type CallOutcome, type ToolCall } from "../machines/call.js";
import { annotateOutcome, routeCall } from "../machines/group-routing.js";
import { replyToGroup } from "../machines/group.js";
import type { GroupAttempt, GroupContext, GroupEvent } from "../machines/group-types.js";
import { providerSystemId } from "../machines/provider-id.js";
import type { PublishEvent } from "./serving-lanes.js";

/** Hands a member's attempt on as a direct call to that member (through its own serving lane when open). */
export type SendToMember = (member: string, call: ToolCall) => void;

/**
 * One opening of a group's serving lane, from the chart's `openLane` to its `closeLane`. It routes
 * on a copy of the chart's context as it was at the opening — the rotation, the strategy's memory,
 * the in-flight counts — with the chart's own decision (routeCall), so a call takes the member the
 * chart would have given it. A call taken here keeps its attempt's reply bound to this opening: a
 * call that outlives it is answered by the chart, which got its count back at the close.
 */
class GroupLaneOpening {
  open = true;
  /** The chart's context at the opening, with the memory and counts as this lane moved them. */
  private readonly context: GroupContext;
  /** Calls sent to each member here and not answered here: what the close hands back. */
  readonly sent: Record<string, number> = {};

  constructor(
    private readonly group: AnyActorRef,
    context: GroupContext,
    private readonly sendToMember: SendToMember,
    private readonly publish: PublishEvent,
  ) {
    this.context = { ...context, inFlight: { ...context.inFlight } };
  }

  get memory(): GroupContext["memory"] {
    return this.context.memory;
  }

  /** Routes one call; false when the chart must take it (the lane closed itself on a failure, or the group stopped). */
  take(call: ToolCall): boolean {
    if (!this.open || (this.group.getSnapshot() as { status: string }).status !== "active") return false;
    const context = this.context;
    const route = routeCall(context, call);
    if (route.kind === "answer") {
      // Every member over its limits (the rotation is never empty while the lane is open).
      call.reply(route.outcome);
      if (route.failed !== undefined) this.publish(this.group.id, route.failed);
      return true;
    }
    const { member, limited } = route;
    context.memory = route.memory;
    context.inFlight[member] = (context.inFlight[member] ?? 0) + 1;
    this.sent[member] = (this.sent[member] ?? 0) + 1;
    const attempt: GroupAttempt = { call, member, tried: [member], retried: [], ...(limited.length === 0 ? {} : { limited }) };
    if (this.group.system.get(providerSystemId(member)) === undefined) {
      this.settle(attempt, failure("unavailable", `member '${member}' has no provider actor`));
      return true;
    }
    call.trace?.route(member);
    this.sendToMember(member, {
      ...call,
      reply: (outcome) => {
        this.settle(attempt, outcome);
      },
    });
    return true;
  }

  /**
   * A member answered a call this lane sent. An answer (a result, a tool error, an rpc error) is
   * the caller's at once, with the group's `_meta` as the chart gives it. A failure is the chart's
   * to judge (retry, breaker, failover): the lane closes itself at once — no call after it is
   * routed here — and the chart gets the attempt as it gets any member's answer; so does every
   * call answered after the lane closed.
   */
  private settle(attempt: GroupAttempt, outcome: CallOutcome): void {
    const { member } = attempt;
    if (this.open && outcome.status !== "failure") {
      this.context.inFlight[member] = (this.context.inFlight[member] ?? 1) - 1;
      this.sent[member] = (this.sent[member] ?? 1) - 1;
      attempt.call.reply(annotateOutcome(outcome, this.context.spec.id, member, attempt.retried, attempt.limited));
      return;
    }
    this.open = false;
    replyToGroup(this.group, this.context.spec.id, attempt, outcome);
  }

  /** What each member runs for this opening (for views: the chart does not count them yet). */
  counts(): Readonly<Record<string, number>> {
    return this.sent;
  }
}

/**
 * The serving lanes of every group (see the group chart's header): the chart opens a group's lane
 * while nothing waits to be decided, and while it is open the runtime routes the group's calls
 * here, with the chart's strategy and counts, without a step of the group chart — its two steps
 * per call (INVOKE, MEMBER.REPLIED) were most of what a group call cost in process. The chart
 * stays the authority: any event it gets closes the lane first and waits for the lane's memory
 * and counts (LANE.CLOSED); a member's failure closes the lane and reaches the chart as ever.
 */
export class GroupLanes {
  private readonly openings = new WeakMap<AnyActorRef, GroupLaneOpening>();

  constructor(
    private readonly sendToMember: SendToMember,
    private readonly publish: PublishEvent,
  ) {}

  /** The chart's `openLane` and `closeLane`, for `groupMachine.provide`. */
  readonly actions = {
    openLane: ({ self, context }: { self: AnyActorRef; context: GroupContext }) => {
      this.openings.set(self, new GroupLaneOpening(self, context, this.sendToMember, this.publish));
    },
    closeLane: ({ self }: { self: AnyActorRef }) => {
      const opening = this.openings.get(self);
      this.openings.delete(self);
      if (opening === undefined) {
        self.send({ type: "LANE.CLOSED", inFlight: {} } satisfies GroupEvent);
        return;
      }
      opening.open = false;
      // Taken right after the chart's step, before any call the runtime sends it after the close.
      self.send({ type: "LANE.CLOSED", inFlight: opening.sent, memory: opening.memory } satisfies GroupEvent);
    },
  };

  /** Routes `call` through the group's lane when it is open; false when the chart must take it. */
  take(group: AnyActorRef, call: ToolCall): boolean {
    return this.openings.get(group)?.take(call) ?? false;
  }

  /** What the group's open lane sent each member and has not seen answered (for views). */
  counts(group: AnyActorRef): Readonly<Record<string, number>> | undefined {
    return this.openings.get(group)?.counts();
  }
}
