import type { CallOutcome } from "../../src/machines/call.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { fromCallback } from "xstate";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { createMetrics, type HangarMetrics } from "../../src/observability/metrics.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { sample } from "../helpers/prom-text.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";
import { finishCall } from "../helpers/finish-call.js";

/**
 * The group metrics on a real HangarRuntime (real supervisor, group chart, providers and
 * recovery saga) whose connections are scripted: `boom` kills member a's connection mid-call
 * (a crash), anything else answers.
 */
const TOOLS: Tool[] = [
  { name: "echo", inputSchema: { type: "object" } },
  { name: "boom", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } },
];

const connection = fromCallback<ConnectionCallEvent, ConnectionInput>(({ input, sendBack, receive }) => {
  queueMicrotask(() => {
    sendBack({ type: "CONNECTION.READY", tools: TOOLS, pid: 4242, serverInfo: undefined, protocolVersion: undefined });
  });
  receive((event) => {
    for (const call of callsOf(event)) {
      if (call.tool === "boom" && input.spec.id === "a") {
        call.reply({ status: "failure", kind: "crash", message: "killed by SIGKILL" });
        sendBack({ type: "CONNECTION.FAILED", kind: "crash", message: "killed by SIGKILL" });
        return;
      }
      const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [] } };
      finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 1 }, sendBack);
    }
  });
  return () => undefined;
});

let running: { runtime: HangarRuntime; metrics: HangarMetrics } | undefined;
afterEach(async () => {
  running?.metrics.close();
  await running?.runtime.shutdown();
  running = undefined;
});

describe("group metrics", () => {
  it("report each group's state and rotation, and count retries and failovers", async () => {
    const runtime = new HangarRuntime(
      {
        source: "test.yaml",
        expose: "both",
        // A long restart delay keeps a out of rotation while the test reads the metrics.
        providers: ["a", "b"].map((id) => testSpec({ id, restart: { initialDelayS: 60, maxDelayS: 60, multiplier: 1, maxRestarts: 5, windowS: 300 } })),
        groups: [testGroupSpec({ strategy: "priority" })],
      },
      { connection },
    );
    const metrics = createMetrics(runtime.events, runtime, { defaultMetrics: false });
    runtime.start();
    running = { runtime, metrics };

    let text = await metrics.render();
    expect(sample(text, "mcp_hangar_group_state", { group: "g", state: "HEALTHY" })).toBe(1);
    expect(sample(text, "mcp_hangar_group_members_in_rotation", { group: "g" })).toBe(2);
    expect(sample(text, "mcp_hangar_group_failovers_total", { group: "g", direction: "failover" })).toBe(0);

    // a crashes under a read-only call: the call is retried on b, and traffic fails over to b.
    const outcome = await runtime.invoke("g", "boom", {});
    expect(outcome.status).toBe("result");
    await waitFor(() => runtime.groupView("g")?.active === "b", 2_000, "failover to b");
    text = await metrics.render();
    expect(sample(text, "mcp_hangar_group_retries_total", { group: "g", kind: "crash" })).toBe(1);
    expect(sample(text, "mcp_hangar_group_failovers_total", { group: "g", direction: "failover" })).toBe(1);
    expect(sample(text, "mcp_hangar_group_members_in_rotation", { group: "g" })).toBe(1);
    expect(sample(text, "mcp_hangar_group_state", { group: "g", state: "HEALTHY" })).toBe(1);
  });
});
