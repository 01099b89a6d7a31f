import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { fromCallback } from "xstate";
import { healthProbe } from "../../src/actors/health-probe.js";
import type { SubprocessProviderSpec } from "../../src/config/types.js";
import type { CallOutcome, ToolCall } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionEvent, type ConnectionInput, type ProbeResult } from "../../src/machines/connection-protocol.js";
import { createMetrics, type HangarMetrics } from "../../src/observability/metrics.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { sample, samples, total } from "../helpers/prom-text.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";
import { finishCall } from "../helpers/finish-call.js";

/**
 * The metrics observer on a real HangarRuntime (real charts, supervisor and recovery saga) whose
 * connections are scripted: each tool name says how the call ends. Every value is read back
 * from render(), the text Prometheus scrapes.
 */

const TOOLS: Tool[] = ["echo", "fail", "slow"].map((name) => ({ name, inputSchema: { type: "object" } }));

interface Script {
  starts: number;
  /** Start attempts left that fail with start_failed. */
  failStarts: number;
  probe: ProbeResult;
  /** Makes the live connection die like a killed process. */
  crash: () => void;
}

/** echo → ok in 20 ms, fail → tool_error, slow → timeout; any other tool → ok. */
function scriptedConnection(script: Script) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    script.starts += 1;
    let alive = true;
    const send = (event: ConnectionEvent): void => {
      if (alive) sendBack(event);
    };
    script.crash = () => {
      send({ type: "CONNECTION.FAILED", kind: "crash", message: "killed by SIGKILL" });
      alive = false;
    };
    const failStart = script.failStarts > 0;
    if (failStart) script.failStarts -= 1;
    queueMicrotask(() => {
      if (failStart) send({ type: "CONNECTION.FAILED", kind: "start_failed", message: "exited with code 1 during initialize" });
      else send({ type: "CONNECTION.READY", tools: TOOLS, pid: 1000 + script.starts, serverInfo: undefined, protocolVersion: undefined });
    });
    receive((event) => {
      if (event.type === "PROBE") {
        event.reply(script.probe);
        return;
      }
      for (const call of callsOf(event)) answer(call);
    });
    const answer = (call: ToolCall): void => {
      const finish = (outcome: CallOutcome, durationMs: number): void => {
        finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: outcome.kind, durationMs }, send);
      };
      switch (call.tool) {
        case "fail":
          finish({ status: "result", kind: "tool_error", result: { content: [], isError: true } }, 5);
          return;
        case "slow":
          finish({ status: "failure", kind: "timeout", message: "no answer within 1s" }, 1000);
          return;
        default:
          finish({ status: "result", kind: "ok", result: { content: [] } }, 20);
      }
    };
    return () => {
      alive = false;
    };
  });
}

interface Harness {
  runtime: HangarRuntime;
  metrics: HangarMetrics;
  script: Script;
  render: () => Promise<string>;
}

const running: Harness[] = [];
afterEach(async () => {
  for (const { runtime, metrics } of running.splice(0)) {
    metrics.close();
    await runtime.shutdown();
  }
});

function harness(specs: Partial<SubprocessProviderSpec>[], script: Partial<Script> = {}): Harness {
  const fullScript: Script = { starts: 0, failStarts: 0, probe: { ok: true, method: "ping", durationMs: 1 }, crash: () => undefined, ...script };
  const runtime = new HangarRuntime(
    { source: "test.yaml", expose: "both", providers: specs.map((spec) => testSpec(spec)) },
    { connection: scriptedConnection(fullScript), healthProbe },
  );
  // Node's process metrics are left out here only to keep the asserted text small.
  const metrics = createMetrics(runtime.events, runtime, { defaultMetrics: false });
  runtime.start();
  const made: Harness = { runtime, metrics, script: fullScript, render: () => metrics.render() };
  running.push(made);
  return made;
}

/** Polls an asynchronous condition (a render) until it holds. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const CALLS = "mcp_hangar_tool_calls_total";
const DURATION = "mcp_hangar_tool_call_duration_seconds";

describe("metrics observer", () => {
  it("counts calls by provider, tool and outcome, times them, and counts the cold start", async () => {
    const { runtime, render } = harness([{ id: "a" }, { id: "b" }]);
    for (let i = 0; i < 3; i++) await runtime.invoke("a", "echo", {});
    await runtime.invoke("a", "fail", {});
    await runtime.invoke("b", "echo", {});
    const text = await render();

    expect(sample(text, CALLS, { provider: "a", tool: "echo", outcome: "ok" })).toBe(3);
    expect(sample(text, CALLS, { provider: "a", tool: "fail", outcome: "tool_error" })).toBe(1);
    expect(sample(text, CALLS, { provider: "b", tool: "echo", outcome: "ok" })).toBe(1);
    expect(total(text, CALLS)).toBe(5);

    expect(sample(text, `${DURATION}_count`, { provider: "a", tool: "echo" })).toBe(3);
    expect(sample(text, `${DURATION}_sum`, { provider: "a", tool: "echo" })).toBeCloseTo(0.06);
    expect(sample(text, `${DURATION}_bucket`, { provider: "a", tool: "echo", le: "0.01" })).toBe(0);
    expect(sample(text, `${DURATION}_bucket`, { provider: "a", tool: "echo", le: "0.025" })).toBe(3);

    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "a", outcome: "ok" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "a", outcome: "start_failed" })).toBe(0);
    expect(sample(text, "mcp_hangar_provider_cold_start_seconds_count", { provider: "a" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "a", state: "READY" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "a", state: "COLD" })).toBe(0);
    expect(samples(text, "mcp_hangar_provider_state", { provider: "a" })).toHaveLength(6);
    expect(sample(text, "mcp_hangar_inflight_calls", { provider: "a" })).toBe(0);
    expect(sample(text, "mcp_hangar_circuit_state", { provider: "a" })).toBe(0);
  });

  it("gives tools the provider does not list the tool label 'other'", async () => {
    const { runtime, render } = harness([{ id: "a" }]);
    await runtime.invoke("a", "echo", {});
    for (const tool of ["made-up-1", "made-up-2", "made-up-3"]) await runtime.invoke("a", tool, {});
    const text = await render();
    expect(sample(text, CALLS, { provider: "a", tool: "other", outcome: "ok" })).toBe(3);
    expect(sample(text, `${DURATION}_count`, { provider: "a", tool: "other" })).toBe(3);
    expect(text).not.toContain("made-up");
  });

  it("labels a predefined tool by name before the provider ever listed it", async () => {
    const { runtime, render } = harness([{ id: "a", tools: [{ name: "predefined", inputSchema: { type: "object" } }] }]);
    // The first call is queued while the provider starts: its tool is known from the config.
    await runtime.invoke("a", "predefined", {});
    expect(sample(await render(), CALLS, { provider: "a", tool: "predefined", outcome: "ok" })).toBe(1);
  });

  it("counts an idle stop and shows the provider COLD again", async () => {
    const { runtime, render } = harness([{ id: "a", idleTtlS: 0.05 }]);
    await runtime.invoke("a", "echo", {});
    await waitFor(() => runtime.view("a")?.state === "COLD", 2000, "idle stop");
    const text = await render();
    expect(sample(text, "mcp_hangar_idle_stops_total", { provider: "a" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "a", state: "COLD" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "a", state: "READY" })).toBe(0);
  });

  it("counts a breaker trip, shows the breaker open, and counts the faults that tripped it", async () => {
    const { runtime, render } = harness([{ id: "a", circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30, halfOpenMaxCalls: 1 } }]);
    await runtime.invoke("a", "slow", {});
    await runtime.invoke("a", "slow", {});
    expect(runtime.view("a")?.breaker.state).toBe("OPEN");
    const text = await render();
    expect(sample(text, "mcp_hangar_circuit_trips_total", { provider: "a" })).toBe(1);
    expect(sample(text, "mcp_hangar_circuit_state", { provider: "a" })).toBe(2);
    expect(sample(text, CALLS, { provider: "a", tool: "slow", outcome: "timeout" })).toBe(2);
    expect(sample(text, `${DURATION}_sum`, { provider: "a", tool: "slow" })).toBe(2);

    // Refused at once by the open breaker: counted as unavailable, not timed (it never ran).
    await expect(runtime.invoke("a", "echo", {})).resolves.toMatchObject({ status: "failure", kind: "unavailable" });
    const after = await render();
    expect(sample(after, CALLS, { provider: "a", tool: "echo", outcome: "unavailable" })).toBe(1);
    expect(sample(after, `${DURATION}_count`, { provider: "a", tool: "echo" })).toBeUndefined();
  });

  it("counts a restart after a crash, and the restarted start", async () => {
    const { runtime, script, render } = harness([{ id: "a", restart: { initialDelayS: 0.01, maxDelayS: 0.05, multiplier: 1, maxRestarts: 3, windowS: 60 } }]);
    await runtime.invoke("a", "echo", {});
    script.crash();
    await waitFor(() => runtime.view("a")?.state === "READY" && runtime.view("a")?.recovery.restartCount === 1, 3000, "restart");
    const text = await render();
    expect(sample(text, "mcp_hangar_provider_restarts_total", { provider: "a" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "a", outcome: "ok" })).toBe(2);
    expect(sample(text, "mcp_hangar_provider_cold_start_seconds_count", { provider: "a" })).toBe(2);
    expect(sample(text, "mcp_hangar_idle_stops_total", { provider: "a" })).toBe(0);
  });

  it("counts calls refused while the provider is RECOVERING", async () => {
    const { runtime, script, render } = harness([{ id: "a", restart: { initialDelayS: 30, maxDelayS: 30, multiplier: 1, maxRestarts: 3, windowS: 60 } }]);
    await runtime.invoke("a", "echo", {});
    script.crash();
    expect(runtime.view("a")?.state).toBe("RECOVERING");
    await expect(runtime.invoke("a", "echo", {})).resolves.toMatchObject({ status: "failure", kind: "unavailable" });
    const text = await render();
    expect(sample(text, CALLS, { provider: "a", tool: "echo", outcome: "unavailable" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_state", { provider: "a", state: "RECOVERING" })).toBe(1);
  });

  it("counts a failed start, and the queued call it failed with its tool label", async () => {
    const { runtime, render } = harness([{ id: "a" }], { failStarts: 1 });
    await expect(runtime.invoke("a", "echo", {})).resolves.toMatchObject({ status: "failure", kind: "start_failed" });
    const text = await render();
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "a", outcome: "start_failed" })).toBe(1);
    expect(sample(text, "mcp_hangar_provider_starts_total", { provider: "a", outcome: "ok" })).toBe(0);
    // Never started, never listed: only the (empty) predefined list was known, so the label is other.
    expect(sample(text, CALLS, { provider: "a", tool: "other", outcome: "start_failed" })).toBe(1);
    // A failure without a duration (it never reached the provider) is counted but not timed.
    expect(sample(text, `${DURATION}_count`, { provider: "a", tool: "other" })).toBeUndefined();
  });

  it("counts health probes by outcome", async () => {
    const { runtime, script, render } = harness([{ id: "a", healthCheckIntervalS: 0.02, maxConsecutiveFailures: 100 }]);
    await runtime.startProvider("a");
    const probes = async (outcome: string): Promise<number> => sample(await render(), "mcp_hangar_health_checks_total", { provider: "a", outcome }) ?? 0;
    await until(async () => (await probes("ok")) >= 2, "two passed probes");
    expect(await probes("failed")).toBe(0);
    script.probe = { ok: false, message: "no pong" };
    await until(async () => (await probes("failed")) >= 1, "a failed probe");
    expect(runtime.view("a")?.health.consecutiveFailures).toBeGreaterThanOrEqual(1);
  });

  it("counts only configured providers: an event naming another provider is no label", async () => {
    const { runtime, render } = harness([{ id: "a" }]);
    runtime.events.publish("provider:ghost", { type: "ToolInvocationCompleted", providerId: "ghost", tool: "x", correlationId: "c", kind: "ok", durationMs: 1 });
    runtime.events.publish("provider:ghost", { type: "CircuitOpened", providerId: "ghost", failures: 1, retryAt: 0 });
    const text = await render();
    expect(text).not.toContain("ghost");
    expect(sample(text, "mcp_hangar_circuit_trips_total", { provider: "a" })).toBe(0);
  });

  it("reports the HTTP front end's sessions, and stops observing on close", async () => {
    const { runtime, metrics, render } = harness([{ id: "a" }]);
    expect(sample(await render(), "mcp_hangar_http_sessions")).toBe(0);
    metrics.setHttpSessions(3);
    expect(sample(await render(), "mcp_hangar_http_sessions")).toBe(3);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    metrics.close();
    await runtime.invoke("a", "echo", {});
    expect((await render()).trim()).toBe("");
    metrics.close();
  });

  it("includes Node's process metrics, without the gauges promtool refuses", async () => {
    const runtime = new HangarRuntime(
      { source: "test.yaml", expose: "both", providers: [testSpec({ id: "a" })] },
      { connection: scriptedConnection({ starts: 0, failStarts: 0, probe: { ok: true, method: "ping", durationMs: 1 }, crash: () => undefined }) },
    ).start();
    const metrics = createMetrics(runtime.events, runtime);
    running.push({ runtime, metrics, script: {} as Script, render: () => metrics.render() });
    const text = await metrics.render();
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_heap_size_used_bytes gauge");
    expect(text).toContain("# TYPE nodejs_active_handles gauge");
    expect(text).not.toMatch(/^# TYPE \S+_total (gauge|histogram|summary|untyped)$/m);
  });
});
