import { fromCallback, type AnyActorRef, type Subscription } from "xstate";
import type { BreakerStateName, ProviderStateName } from "../shared/domain-events.js";
import type { GroupEvent, MemberWatchEvent } from "./group-types.js";
import { providerSystemId } from "./provider-id.js";
import { SUPERVISOR_SYSTEM_ID } from "./supervisor-id.js";

/**
 * How a group learns its members' states without copying snapshots per call: this actor, invoked
 * by the group for its whole life, listens to the domain events each member's provider actor
 * emits (state changes, breaker changes) and sends the group one MEMBER.STATE per change. A
 * provider restarted by the supervisor is a new actor under the same systemId; the supervisor's
 * ProviderRestarted tells the watch to follow the new one. Actor wiring only: no I/O.
 */
export interface MemberWatchInput {
  memberIds: string[];
}

/** What the watch reads of a member's provider actor. */
interface MemberProviderRef {
  getSnapshot: () => { context: { state: ProviderStateName; breaker: { state: BreakerStateName } } };
  on: (type: string, handler: () => void) => Subscription;
}

const MEMBER_EVENTS = ["ProviderStateChanged", "CircuitOpened", "CircuitHalfOpened", "CircuitClosed"] as const;

export const memberWatch = fromCallback<MemberWatchEvent, MemberWatchInput>(({ input, system, sendBack, receive }) => {
  const watched = new Map<string, Subscription[]>();

  const unwatch = (memberId: string): void => {
    for (const subscription of watched.get(memberId) ?? []) subscription.unsubscribe();
    watched.delete(memberId);
  };

  const watch = (memberId: string): void => {
    unwatch(memberId);
    const ref = system.get(providerSystemId(memberId)) as MemberProviderRef | undefined;
    if (ref === undefined) return;
    // The snapshot, not the event, is read: by the time emitted events are delivered the
    // provider's snapshot is up to date with both its regions.
    const report = (): void => {
      const { context } = ref.getSnapshot();
      sendBack({ type: "MEMBER.STATE", memberId, state: context.state, breaker: context.breaker.state } satisfies GroupEvent);
    };
    watched.set(
      memberId,
      MEMBER_EVENTS.map((type) => ref.on(type, report)),
    );
    report();
  };

  const follow = (memberIds: readonly string[]): void => {
    for (const memberId of [...watched.keys()]) if (!memberIds.includes(memberId)) unwatch(memberId);
    for (const memberId of memberIds) watch(memberId);
  };

  const supervisor = system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
  const restarts = supervisor?.on("ProviderRestarted", (event: { providerId: string }) => {
    if (watched.has(event.providerId)) watch(event.providerId);
  });

  receive((event) => {
    follow(event.memberIds);
  });
  follow(input.memberIds);

  return () => {
    restarts?.unsubscribe();
    for (const memberId of [...watched.keys()]) unwatch(memberId);
  };
});
