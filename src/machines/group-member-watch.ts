import { fromCallback, type AnyActorRef, type Subscription } from "xstate";
import type { BreakerStateName, ProviderStateName } from "../shared/domain-events.js";
import type { GroupEvent, MemberWatchEvent } from "./group-types.js";
import { providerSystemId } from "./provider-id.js";
import { SUPERVISOR_SYSTEM_ID } from "./supervisor-id.js";

/**
 * How a group learns its members' states without copying snapshots per call: this actor, invoked
 * by the group for its whole life, listens to the domain events each member's provider actor
 * emits (state changes, breaker changes) and sends the group one MEMBER.STATE per change. A
 * provider restarted or replaced by the supervisor is a new actor under the same systemId (and a
 * member may be named before its provider exists); the supervisor's ProviderRestarted,
 * ProviderReplaced and ProviderAdded tell the watch to follow the new one. Actor wiring only: no I/O.
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
const NEW_PROVIDER_ACTOR = ["ProviderRestarted", "ProviderAdded", "ProviderReplaced"] as const;

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

  // The members to follow, including ones whose provider actor does not exist (yet).
  let wanted = new Set<string>();
  const follow = (memberIds: readonly string[]): void => {
    wanted = new Set(memberIds);
    for (const memberId of [...watched.keys()]) if (!wanted.has(memberId)) unwatch(memberId);
    for (const memberId of memberIds) watch(memberId);
  };

  // A member's provider actor is new after a restart, a replacement (changed spec) or a late arrival.
  const supervisor = system.get(SUPERVISOR_SYSTEM_ID) as AnyActorRef | undefined;
  const refollow = (event: { providerId: string }): void => {
    if (wanted.has(event.providerId)) watch(event.providerId);
  };
  const restarts = NEW_PROVIDER_ACTOR.flatMap((type) => (supervisor === undefined ? [] : [supervisor.on(type, refollow)]));

  receive((event) => {
    follow(event.memberIds);
  });
  follow(input.memberIds);

  return () => {
    for (const subscription of restarts) subscription.unsubscribe();
    for (const memberId of [...watched.keys()]) unwatch(memberId);
  };
});
