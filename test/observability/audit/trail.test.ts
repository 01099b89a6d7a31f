import { describe, expect, it } from "vitest";
import { AuditTrail } from "../../../src/observability/audit/trail.js";
import { DomainEventBus } from "../../../src/observability/domain-event-bus.js";
import { Redactor } from "../../../src/shared/redaction.js";

/** An in-memory trail (audit.path ":memory:", for tests and embedding): same writer, same queries. */
describe("audit trail in memory", () => {
  it("records, answers registry_history with pending events written first, and replays", () => {
    const trail = new AuditTrail({
      spec: { enabled: true, path: ":memory:", capture: "hash", retentionDays: 30, batchMs: 60_000, writerThread: false },
      source: "/etc/hangar.yaml",
      redactor: new Redactor(),
      onError: (error) => {
        throw error;
      },
    });
    const bus = new DomainEventBus();
    trail.attach(bus);
    bus.publish("provider:math", { type: "ProviderStateChanged", providerId: "math", from: "COLD", to: "INITIALIZING", reason: "first call" });
    bus.publish("provider:math", { type: "ProviderStarted", providerId: "math", pid: 42, toolCount: 2, durationMs: 30 });
    bus.publish("provider:math", { type: "ToolInvocationRequested", providerId: "math", tool: "add", correlationId: "c1" });
    bus.publish("provider:math", { type: "ToolInvocationFailed", providerId: "math", tool: "add", correlationId: "c1", kind: "timeout", durationMs: 5 });
    bus.publish("hangar", { type: "ProviderRestarted", providerId: "math", restartCount: 1 });
    const recent = trail.recent("math", 10);
    expect(recent.transitions.map((event) => event.type)).toEqual(["ProviderStateChanged", "ProviderStarted", "ProviderRestarted"]);
    // Answered in the batch that holds its request: one row, the answer's (call-pairing.ts).
    expect(recent.calls.map((event) => [event.type, event.correlationId])).toEqual([["ToolInvocationFailed", "c1"]]);
    expect(trail.replay(["math"]).math).toMatchObject({ stats: { calls: 1, failures: 1, starts: 1 }, restartCount: 1 });
    trail.close();
  });
});
