import { describe, expect, it } from "vitest";
import { DomainEventBus } from "../../src/observability/domain-event-bus.js";
import type { DomainEvent, StampedDomainEvent } from "../../src/shared/domain-events.js";

describe("DomainEventBus", () => {
  it("stamps the published event itself (no copy per event): every listener gets that object, its own keys first, then seq, timestamp, systemId", () => {
    const bus = new DomainEventBus();
    const first: StampedDomainEvent[] = [];
    const second: StampedDomainEvent[] = [];
    bus.subscribe((event) => first.push(event));
    bus.subscribe((event) => second.push(event));
    const started: DomainEvent = { type: "ProviderStarted", providerId: "p", pid: 1, toolCount: 2, durationMs: 3 };
    const stopped: DomainEvent = { type: "ProviderStopped", providerId: "p", reason: "manual" };
    bus.publish("provider:p", started);
    bus.publish("provider:p", stopped);
    expect(first).toHaveLength(2);
    expect(first[0]).toBe(started);
    expect(second[0]).toBe(started);
    expect(first[1]).toBe(stopped);
    expect(Object.keys(started)).toEqual(["type", "providerId", "pid", "toolCount", "durationMs", "seq", "timestamp", "systemId"]);
    // Each event keeps its own stamps: a later publish does not touch an earlier event.
    expect(first.map((event) => event.seq)).toEqual([1, 2]);
    expect(first[0]).toMatchObject({ systemId: "provider:p", timestamp: expect.any(Number) as number });
  });

  it("counts events published with no listener, and a listener that throws does not keep the others from the event", () => {
    const errors: unknown[] = [];
    const bus = new DomainEventBus((error) => errors.push(error));
    bus.publish("supervisor", { type: "ProviderStopped", providerId: "p", reason: "manual" });
    expect(bus.lastSeq).toBe(1);
    const seen: number[] = [];
    bus.subscribe(() => {
      throw new Error("observer bug");
    });
    bus.subscribe((event) => seen.push(event.seq));
    bus.publish("supervisor", { type: "ProviderStopped", providerId: "p", reason: "manual" });
    expect(seen).toEqual([2]);
    expect(errors).toHaveLength(1);
  });
});
