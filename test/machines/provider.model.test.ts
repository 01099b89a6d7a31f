import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import type { SnapshotFrom } from "xstate";
import type { ToolCall } from "../../src/machines/call.js";
import { providerMachine, type ProviderEvent } from "../../src/machines/provider.js";
import { walkModel } from "../helpers/model-walk.js";
import { testSpec } from "../helpers/specs.js";

type ProviderSnapshot = SnapshotFrom<typeof providerMachine>;

const call: ToolCall = { tool: "add", arguments: { a: 1, b: 2 }, correlationId: "c1", reply: () => undefined };
const liveTools: Tool[] = [{ name: "add", inputSchema: { type: "object" } }];

/** Every event the chart knows, internal delayed events named as the walk must send them. */
const events = [
  { type: "INVOKE", call },
  { type: "START" },
  { type: "STOP", reason: "manual" },
  { type: "GIVE_UP", message: "restart budget spent" },
  { type: "HEALTH.FAILED", message: "ping failed" },
  { type: "HEALTH.PASSED" },
  { type: "CONNECTION.READY", tools: liveTools, pid: 4242, serverInfo: { name: "t", version: "1" }, protocolVersion: "2025-11-25" },
  { type: "CONNECTION.TOOLS_CHANGED", tools: liveTools },
  { type: "CONNECTION.FAILED", kind: "start_failed", message: "exit 1" },
  { type: "CONNECTION.FAILED", kind: "crash", message: "exit 3" },
  { type: "CALL.DONE", correlationId: "c1", tool: "add", kind: "ok", durationMs: 1 },
  { type: "xstate.after.startupTimeout.provider.running.INITIALIZING" },
  { type: "xstate.after.idleTtl.provider.running.READY" },
  { type: "xstate.after.idleTtl.provider.running.DEGRADED" },
] as const satisfies readonly (ProviderEvent | { type: `xstate.after.${string}` })[];

function stateName(snapshot: ProviderSnapshot): string {
  const value = snapshot.value;
  return typeof value === "string" ? value : Object.values(value)[0] ?? "";
}

/** Counters beyond 2 add no new behaviour; capping them keeps the walk finite. */
function serialize(snapshot: ProviderSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify({
    value: snapshot.value,
    inFlight: Math.min(context.inFlight, 2),
    queued: Math.min(context.queue.length, 2),
    live: context.liveTools !== undefined,
    error: context.lastError?.kind,
  });
}

describe("provider chart (model-based, real machine)", () => {
  it("keeps its invariants on every shortest path", () => {
    const report = walkModel<ProviderSnapshot>(providerMachine, {
      events: [...events],
      input: { spec: testSpec({ tools: [{ name: "add", inputSchema: { type: "object" } }] }) },
      serializeState: serialize,
      invariant: (snapshot, path) => {
        const where = `after ${path.join(" → ")}`;
        const { context } = snapshot;
        const name = stateName(snapshot);
        const running = snapshot.matches("running");
        // The state name observers see is the chart's own.
        expect(context.state, where).toBe(name);
        // Process lifetime = actor lifetime: only `running` owns a connection.
        expect(snapshot.children.connection !== undefined, where).toBe(running);
        if (name === "COLD" || name === "DEAD") {
          expect(context.pid, where).toBeUndefined();
          expect(context.inFlight, where).toBe(0);
          expect(context.queue, where).toHaveLength(0);
        }
        // Calls wait only while the provider is starting.
        if (name !== "INITIALIZING") expect(context.queue, where).toHaveLength(0);
        // A ready provider knows its live tools.
        if (name === "READY" || name === "DEGRADED") expect(context.liveTools, where).toBeDefined();
        if (name === "INITIALIZING") expect(context.inFlight, where).toBe(0);
        expect(context.inFlight, where).toBeGreaterThanOrEqual(0);
      },
    });
    // Every state of the chart is reachable.
    const reached = [...report.valuesReached].join(" ");
    for (const state of ["COLD", "INITIALIZING", "READY", "DEGRADED", "DEAD"]) expect(reached).toContain(state);
    expect(report.statesChecked).toBeGreaterThan(20);
  });

  it("describes every transition (the chart explains itself in the inspector)", () => {
    const missing: string[] = [];
    const visit = (node: (typeof providerMachine)["root"]): void => {
      for (const transitions of node.transitions.values()) {
        for (const transition of transitions) {
          if (!transition.description) missing.push(`${node.id} on ${transition.eventType}`);
        }
      }
      for (const child of Object.values(node.states)) visit(child);
    };
    visit(providerMachine.root);
    expect(missing).toEqual([]);
  });
});
