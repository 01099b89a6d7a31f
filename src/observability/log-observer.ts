import type { DomainEventBus } from "./domain-event-bus.js";
import { logGroupEvent } from "./group-log.js";
import { isLogEnabled, type Logger } from "./log.js";

/**
 * Logs the domain events a person wants to see: state changes and starts at info, failures at
 * warn, each call at debug. An observer only: it never drives the system.
 */
export function logDomainEvents(bus: DomainEventBus, logger: Logger): () => void {
  return bus.subscribe((event) => {
    switch (event.type) {
      case "ProviderStateChanged":
        logger.info(`provider ${event.providerId}: ${event.from} → ${event.to} (${event.reason})`, { provider: event.providerId });
        break;
      case "ProviderStarted":
        logger.info(`provider ${event.providerId} ready: pid ${event.pid ?? "?"}, ${event.toolCount} tools, ${event.durationMs} ms`, {
          provider: event.providerId,
        });
        break;
      case "ProviderStopped":
        if (event.reason === "crash" || event.reason === "start_failed") {
          logger.warn(`provider ${event.providerId} stopped (${event.reason}): ${event.message ?? ""}`, { provider: event.providerId });
        } else {
          logger.info(`provider ${event.providerId} stopped (${event.reason})`, { provider: event.providerId });
        }
        break;
      case "ToolInvocationFailed":
        logger.warn(`call ${event.providerId}/${event.tool}${by(event.principal)} failed (${event.kind})${event.message ? `: ${event.message}` : ""}`, {
          provider: event.providerId,
          correlationId: event.correlationId,
          ...(event.principal === undefined ? {} : { principal: event.principal }),
        });
        break;
      case "ToolInvocationCompleted":
        // One per call: skip building the record unless debug logging is on.
        if (!isLogEnabled("debug")) break;
        logger.debug(`call ${event.providerId}/${event.tool}${by(event.principal)} ${event.kind} in ${event.durationMs} ms`, {
          provider: event.providerId,
          correlationId: event.correlationId,
          ...(event.principal === undefined ? {} : { principal: event.principal }),
        });
        break;
      case "DiscoveryProviderAdded":
      case "DiscoveryProviderUpdated":
      case "DiscoveryProviderQuarantined":
      case "DiscoveryProviderApproved": {
        const verb = { DiscoveryProviderAdded: "added", DiscoveryProviderUpdated: "updated", DiscoveryProviderQuarantined: "quarantined", DiscoveryProviderApproved: "approved" }[event.type];
        logger.info(`discovery: provider ${event.providerId} ${verb} (${event.source})`, { provider: event.providerId, source: event.source });
        break;
      }
      case "DiscoveryProviderRemoved":
        logger.info(`discovery: provider ${event.providerId} removed (${event.source}: ${event.reason})`, { provider: event.providerId, source: event.source });
        break;
      case "DiscoveryConflict":
        logger.warn(`discovery: provider ${event.providerId} from ${event.loser} ignored: ${event.winner} defines it too and ranks higher`, {
          provider: event.providerId,
        });
        break;
      case "DiscoverySourceFailed":
        logger.warn(`discovery: source ${event.source} failed; its last good set stays: ${event.message}`, { source: event.source });
        break;
      default:
        logGroupEvent(event, logger);
        break;
    }
  });
}

/** " by alice" for a call an authenticated principal made (HTTP front end); nothing otherwise. */
function by(principal: string | undefined): string {
  return principal === undefined ? "" : ` by ${principal}`;
}
