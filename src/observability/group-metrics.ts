import { Counter, type Registry } from "prom-client";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { GroupStateName, StampedDomainEvent } from "../shared/domain-events.js";
import type { DomainEventBus } from "./domain-event-bus.js";
import { scrapedGauge, scrapedStateGauge } from "./scraped-gauges.js";

/**
 * The provider-group metrics (docs/groups.md), beside the provider metrics in metrics.ts: group
 * states and rotations read from the runtime at scrape time, retries and failovers counted from
 * the domain events. `group` is always a running group's id (configured, or an auto group of
 * discovered providers) and `kind` a failure kind, so every label is bounded by what runs. Calls
 * themselves are counted per member by the provider metrics.
 */
export const GROUP_STATES: readonly GroupStateName[] = ["HEALTHY", "PARTIAL", "INACTIVE"];

/** Registers the group metrics; returns the function that stops observing the bus. */
export function registerGroupMetrics(registry: Registry, bus: DomainEventBus, runtime: HangarRuntime): () => void {
  const registers = [registry];
  const perGroup = (name: string, help: string) => ({ name, help, label: "group", registers, ids: () => runtime.groupIds() });
  scrapedStateGauge(
    perGroup("mcp_hangar_group_state", `Provider group state: 1 for the current state, 0 for the others (states ${GROUP_STATES.join(", ")}).`),
    GROUP_STATES,
    (id) => runtime.groupView(id)?.state,
  );
  scrapedGauge(
    perGroup("mcp_hangar_group_members_in_rotation", "Members of the group that can take calls now (not DEAD, not RECOVERING, breaker not OPEN)."),
    (id) => runtime.groupView(id)?.members.filter((member) => member.inRotation).length,
  );
  const retries = new Counter({
    name: "mcp_hangar_group_retries_total",
    help: "Calls a group sent to another member after a member failed them, by the first member's failure kind.",
    labelNames: ["group", "kind"] as const,
    registers,
  });
  const failovers = new Counter({
    name: "mcp_hangar_group_failovers_total",
    help: "Times a priority group moved its traffic off the member taking it (failover), or back to the preferred member (failback).",
    labelNames: ["group", "direction"] as const,
    registers,
  });
  for (const id of runtime.groupIds()) {
    failovers.labels(id, "failover").inc(0);
    failovers.labels(id, "failback").inc(0);
  }

  const observe = (event: StampedDomainEvent): void => {
    switch (event.type) {
      case "GroupCallRetried":
        if (runtime.hasGroup(event.groupId)) retries.labels(event.groupId, event.kind).inc();
        return;
      case "GroupFailover":
        if (runtime.hasGroup(event.groupId)) failovers.labels(event.groupId, "failover").inc();
        return;
      case "GroupFailback":
        if (runtime.hasGroup(event.groupId)) failovers.labels(event.groupId, "failback").inc();
        return;
      default:
        return;
    }
  };
  return bus.subscribe(observe);
}
