import type { StampedDomainEvent } from "../shared/domain-events.js";
import type { Logger } from "./log.js";

/** The log lines of the group events: state changes, failovers, rebalances and membership at info, retries and conflicts at warn. */
export function logGroupEvent(event: StampedDomainEvent, logger: Logger): void {
  switch (event.type) {
    case "GroupStateChanged":
      logger.info(`group ${event.groupId}: ${event.from} → ${event.to} (${event.inRotation} of ${event.members} members in rotation)`, {
        group: event.groupId,
      });
      return;
    case "GroupMemberChanged":
      logger.info(
        `group ${event.groupId}: member ${event.memberId} ${event.inRotation ? "back in" : "out of"} rotation (${event.state}, breaker ${event.breaker})`,
        { group: event.groupId, provider: event.memberId },
      );
      return;
    case "GroupCallRetried":
      logger.warn(`group ${event.groupId}: ${event.tool} failed on ${event.failedMember} (${event.kind}); retrying on ${event.nextMember}`, {
        group: event.groupId,
        correlationId: event.correlationId,
      });
      return;
    case "GroupFailover":
      logger.info(`group ${event.groupId}: failover ${event.from ?? "(none)"} → ${event.to ?? "(none)"}`, { group: event.groupId });
      return;
    case "GroupFailback":
      logger.info(`group ${event.groupId}: failback ${event.from ?? "(none)"} → ${event.to}`, { group: event.groupId });
      return;
    case "GroupRebalanced":
      logger.info(
        `group ${event.groupId}: rebalanced (${event.reason}${event.added.length > 0 ? `, added ${event.added.join(", ")}` : ""}${event.removed.length > 0 ? `, removed ${event.removed.join(", ")}` : ""}); in rotation: ${event.inRotation.join(", ") || "none"}`,
        { group: event.groupId },
      );
      return;
    case "GroupAdded":
      logger.info(`group ${event.groupId}: added${event.auto ? " (auto group)" : ""} with ${event.members.join(", ") || "no members"}`, { group: event.groupId });
      return;
    case "GroupReplaced":
      logger.info(`group ${event.groupId}: settings changed; a fresh group took over (${event.members.join(", ")})`, { group: event.groupId });
      return;
    case "GroupRemoved":
      logger.info(`group ${event.groupId}: removed`, { group: event.groupId });
      return;
    case "GroupJoinRefused":
      logger.warn(`group conflict: ${event.message}`, { group: event.groupId, provider: event.providerId });
      return;
    default:
      return;
  }
}
