import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnyEventObject, SnapshotFrom } from "xstate";
import { getShortestPaths } from "xstate/graph";
import { healthProbe } from "../../src/actors/health-probe.js";
import { terminateAll } from "../../src/actors/process-registry.js";
import { subprocessConnection } from "../../src/actors/subprocess-connection.js";
import type { SubprocessProviderSpec } from "../../src/config/types.js";
import type { CallOutcome } from "../../src/machines/call.js";
import { providerMachine, type ProviderInput } from "../../src/machines/provider.js";
import { providerHistory } from "../../src/machines/provider-types.js";
import { configureLog, resetLog } from "../../src/observability/log.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { ProviderStateName } from "../../src/shared/domain-events.js";
import { FIXTURES, NODE } from "../helpers/cli.js";
import { describeProcess, findProcesses, killProcesses, waitForNoProcesses } from "../helpers/processes.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Model-based replay: shortest paths of the REAL provider chart (xstate/graph), driven against a
 * REAL subprocess provider through the runtime, with the real action behind each chart event —
 * a call, registry_start, registry_stop, kill -9 of the pid, waiting out idle_ttl_s. At every
 * step the provider's real lifecycle must follow the path, and the OS process table must agree
 * with it: INITIALIZING/READY/DEGRADED ↔ exactly the provider's pid alive; COLD, RECOVERING and
 * DEAD ↔ no process carrying the test's marker.
 */
type ProviderSnapshot = SnapshotFrom<typeof providerMachine>;

const ID = "echo";
const RUNNING: readonly ProviderStateName[] = ["INITIALIZING", "READY", "DEGRADED"];
const IDLE = "IDLE.CHECK";

const EVENTS = {
  INVOKE: { type: "INVOKE", call: { tool: "echo", arguments: { text: "replay" }, correlationId: "c", reply: () => undefined } },
  START: { type: "START" },
  STOP: { type: "STOP", reason: "manual" },
  READY: { type: "CONNECTION.READY", tools: [], pid: 1, serverInfo: undefined, protocolVersion: undefined },
  DONE: { type: "CALL.DONE", correlationId: "c", tool: "echo", kind: "ok", durationMs: 1 },
  CRASH: { type: "CONNECTION.FAILED", kind: "crash", message: "killed" },
  IDLE: { type: IDLE },
} as const satisfies Record<string, AnyEventObject>;

/** Collapses what the replay does not care about, so every state of interest is a distinct node. */
function serialize(snapshot: ProviderSnapshot): string {
  const { context } = snapshot;
  return JSON.stringify({
    value: snapshot.value,
    inFlight: Math.min(context.inFlight, 1),
    starts: Math.min(context.stats.starts, 3),
    // Whether a call finished since the idle timer was armed decides what the idle check does.
    idleArmed: context.stats.calls === context.idleArmedAtCalls,
  });
}

/** One shortest path of the chart: the events and the lifecycle state after each. */
interface ModelStep {
  event: string;
  state: ProviderStateName;
}

function shortestPath(
  input: ProviderInput,
  events: readonly AnyEventObject[],
  toState: (snapshot: ProviderSnapshot) => boolean,
): { steps: ModelStep[]; last: ProviderSnapshot } {
  const paths = getShortestPaths(providerMachine, { input, events: [...events] as never, serializeState: serialize, toState });
  const path = paths.sort((a, b) => a.steps.length - b.steps.length)[0];
  if (path === undefined) throw new Error("the chart has no such path");
  return { steps: path.steps.map((step) => ({ event: step.event.type, state: step.state.context.state })), last: path.state };
}

interface World {
  runtime: HangarRuntime;
  marker: string;
  /** The provider's real lifecycle, from its ProviderStateChanged events. */
  trace: ProviderStateName[];
  calls: Promise<CallOutcome>[];
}

/** The real action behind each chart event. Events the world produces by itself need none. */
const ACTIONS: Record<string, (world: World) => void | Promise<void>> = {
  "xstate.init": () => undefined,
  INVOKE: (world) => {
    world.calls.push(world.runtime.invoke(ID, "echo", { text: "replay" }));
  },
  START: (world) => {
    void world.runtime.startProvider(ID);
  },
  STOP: (world) => world.runtime.stopProvider(ID),
  "CONNECTION.READY": () => undefined, // the process initializes
  "CALL.DONE": async (world) => {
    await Promise.all(world.calls.splice(0));
  },
  [IDLE]: () => undefined, // idle_ttl_s passes
  "CONNECTION.FAILED": (world) => {
    const pid = world.runtime.view(ID)?.pid;
    expect(pid, "the pid to kill").toBeDefined();
    expect(findProcesses(world.marker)).toEqual([pid]);
    process.kill(pid ?? -1, "SIGKILL");
  },
};

function isRunning(state: ProviderStateName | undefined): boolean {
  return state !== undefined && RUNNING.includes(state);
}

/** The process table and the provider's state agree (termination and spawning take a moment). */
async function expectProcessTableAgrees(world: World, where: string): Promise<void> {
  let seen = "";
  try {
    await waitFor(
      () => {
        const view = world.runtime.view(ID);
        const pids = findProcesses(world.marker);
        seen = `state ${view?.state}, pid ${view?.pid}, processes [${pids.map(describeProcess).join("; ")}]`;
        if (!isRunning(view?.state)) return pids.length === 0;
        return pids.length === 1 && (view?.pid === undefined || pids[0] === view.pid);
      },
      5_000,
      "process table to agree",
    );
  } catch {
    throw new Error(`${where}: the OS process table disagrees with the chart: ${seen}`);
  }
}

function describeProvider(world: World): string {
  const view = world.runtime.view(ID);
  return `last error: ${view?.lastError?.message ?? "none"}; stderr: ${view?.stderrTail.join(" | ") ?? ""}`;
}

/** Consecutive equal states collapse: events like CALL.DONE do not change the lifecycle. */
function lifecycleSequence(states: ProviderStateName[]): ProviderStateName[] {
  return states.filter((state, index) => index === 0 || states[index - 1] !== state);
}

/** Drives the model steps (of one or more provider actor incarnations) against the real provider. */
async function replay(world: World, steps: ModelStep[]): Promise<void> {
  const expected = lifecycleSequence(steps.map((step) => step.state));
  const names = steps.map((step) => step.event);
  console.error(`replaying ${names.join(" → ")}  (${expected.join(" → ")})`);
  for (const [index, step] of steps.entries()) {
    const where = `after ${names.slice(0, index + 1).join(" → ")}`;
    const action = ACTIONS[step.event];
    if (action === undefined) throw new Error(`no real action for chart event ${step.event}`);
    await action(world);
    const upTo = lifecycleSequence(steps.slice(0, index + 1).map((s) => s.state));
    try {
      await waitFor(() => world.trace.length >= upTo.length, 10_000, `state ${step.state}`);
    } catch {
      throw new Error(`${where}: expected the provider to reach ${step.state}; its states were ${world.trace.join(" → ")}`);
    }
    // Never a state off the path, in the order of the path.
    expect(world.trace, `${where} (${describeProvider(world)})`).toEqual(expected.slice(0, world.trace.length));
    await expectProcessTableAgrees(world, where);
  }
  expect(world.trace).toEqual(expected);
}

function startWorld(spec: Partial<SubprocessProviderSpec>): World {
  const marker = `replay-${randomUUID()}`;
  const runtime = new HangarRuntime(
    {
      source: "replay.yaml",
      expose: "both",
      providers: [
        testSpec({
          ...spec,
          id: ID,
          command: [NODE, join(FIXTURES, "echo-server.js"), `--marker=${marker}`],
          cwd: FIXTURES,
          healthCheckIntervalS: 300,
          shutdownGraceS: 2,
          startupTimeoutS: 10,
        }),
      ],
    },
    { connection: subprocessConnection, healthProbe, awaitProcessesGone: () => terminateAll() },
  );
  const world: World = { runtime, marker, trace: ["COLD"], calls: [] };
  runtime.events.subscribe((event) => {
    if (event.type === "ProviderStateChanged" && event.providerId === ID) world.trace.push(event.to);
  });
  worlds.push(world);
  runtime.start();
  return world;
}

const worlds: World[] = [];
const specFor = (overrides: Partial<SubprocessProviderSpec>): SubprocessProviderSpec => testSpec({ id: ID, ...overrides });

beforeAll(() => {
  configureLog({ sink: () => undefined });
});
afterAll(() => {
  resetLog();
});
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    await world.runtime.shutdown();
    try {
      await waitForNoProcesses(world.marker, 5_000);
    } finally {
      killProcesses(world.marker);
    }
  }
});

describe("provider chart replayed against a real subprocess provider", () => {
  it("COLD → INITIALIZING → READY → COLD by STOP", async () => {
    const spec = specFor({});
    const { steps } = shortestPath({ spec }, [EVENTS.INVOKE, EVENTS.READY, EVENTS.STOP], (s) => s.context.state === "COLD" && s.context.stats.starts === 1);
    expect(steps.map((s) => s.event)).toEqual(["xstate.init", "INVOKE", "CONNECTION.READY", "STOP"]);
    await replay(startWorld(spec), steps);
  });

  it("COLD → INITIALIZING → READY → COLD by the idle timer", async () => {
    const spec = specFor({ idleTtlS: 0.5 });
    const { steps } = shortestPath(
      { spec },
      [EVENTS.INVOKE, EVENTS.READY, EVENTS.DONE, EVENTS.IDLE],
      (s) => s.context.state === "COLD" && s.context.stats.starts === 1,
    );
    // The first idle check finds a call finished since it was armed and re-arms for the time left;
    // the second finds the provider idle for a full period and stops it.
    expect(steps.map((s) => s.event)).toEqual(["xstate.init", "INVOKE", "CONNECTION.READY", "CALL.DONE", IDLE, IDLE]);
    await replay(startWorld(spec), steps);
  });

  it("crash (kill -9) → RECOVERING → restart by registry_start → READY", async () => {
    // A long backoff: the recovery saga must not restart it before the replay's START does.
    const spec = specFor({ restart: { initialDelayS: 60, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 } });
    const { steps } = shortestPath(
      { spec },
      [EVENTS.START, EVENTS.READY, EVENTS.CRASH],
      (s) => s.context.state === "READY" && s.context.stats.starts === 2,
    );
    expect(steps.map((s) => s.state)).toEqual(["COLD", "INITIALIZING", "READY", "RECOVERING", "INITIALIZING", "READY"]);
    await replay(startWorld(spec), steps);
  });

  it("crash (kill -9) → RECOVERING → restart by the recovery saga: the successor actor follows the same chart", async () => {
    const spec = specFor({ restart: { initialDelayS: 0.3, maxDelayS: 1, multiplier: 2, maxRestarts: 5, windowS: 300 } });
    const crashed = shortestPath({ spec }, [EVENTS.INVOKE, EVENTS.READY, EVENTS.DONE, EVENTS.CRASH], (s) => s.context.state === "RECOVERING" && s.context.stats.starts === 1);
    expect(crashed.steps.map((s) => s.event)).toEqual(["xstate.init", "INVOKE", "CONNECTION.READY", "CONNECTION.FAILED"]);
    // The supervisor replaces the crashed actor with a fresh one that inherits its history: the
    // chart, started with that history, goes straight to INITIALIZING (its xstate.init step is
    // the saga's restart, which the replay only waits for).
    const history = providerHistory(crashed.last.context, Date.now());
    const restarted = shortestPath({ spec, history }, [EVENTS.READY], (s) => s.context.state === "READY");
    expect(restarted.steps.map((s) => s.state)).toEqual(["INITIALIZING", "READY"]);
    const world = startWorld(spec);
    await replay(world, [...crashed.steps, ...restarted.steps]);
    expect(world.runtime.view(ID)?.recovery.restartCount).toBe(1);
  });
});
