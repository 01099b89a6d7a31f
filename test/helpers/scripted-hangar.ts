import { fromCallback, type ActorRefFrom, type AnyActorRef, type InspectionEvent } from "xstate";
import type { GroupSpec, SubprocessProviderSpec } from "../../src/config/types.js";
import { failure, type CallOutcome, type ToolCall } from "../../src/machines/call.js";
import { callsOf, type CallDone, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import type { GroupContext } from "../../src/machines/group-types.js";
import type { hangarMachine } from "../../src/machines/hangar.js";
import type { ProviderContext } from "../../src/machines/provider-types.js";
import { HangarRuntime, type HangarRuntimeOptions } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { finishCall } from "./finish-call.js";
import { testSpec } from "./specs.js";

/**
 * A real HangarRuntime on a scripted connection, for the serving-lane tests
 * (test/runtime/serving-lanes.test.ts, group-lanes.test.ts): it records the events each provider
 * and group actor takes (each is a step of its chart) and reads the charts' own contexts.
 *
 * The connection: `hold` is answered when the test releases it, `slow` (or `slow_on_<provider>`)
 * fails with a timeout (a provider fault), `tool_error` answers with the tool's own error,
 * anything else answers ok.
 */
export interface Script {
  held: (() => void)[];
  starts: number;
}

export function scriptedConnection(script: Script) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive, input }) => {
    script.starts += 1;
    queueMicrotask(() => {
      sendBack({ type: "CONNECTION.READY", tools: [], pid: 100 + script.starts, serverInfo: undefined, protocolVersion: undefined });
    });
    const finish = (call: ToolCall, outcome: CallOutcome): void => {
      const done: CallDone = { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: outcome.kind, durationMs: 1 };
      finishCall(call, outcome, done, sendBack);
    };
    receive((event) => {
      for (const call of callsOf(event)) {
        if (call.tool === "hold") {
          script.held.push(() => {
            finish(call, { status: "result", kind: "ok", result: { content: [] } });
          });
        }
        else if (call.tool === "slow" || call.tool === `slow_on_${input.spec.id}`) finish(call, failure("timeout", "no answer within 1s"));
        else if (call.tool === "tool_error") finish(call, { status: "result", kind: "tool_error", result: { content: [], isError: true } });
        else finish(call, { status: "result", kind: "ok", result: { content: [] } });
      }
    });
    // As a real connection does when it stops: what it still holds is answered.
    return () => {
      for (const release of script.held.splice(0)) release();
    };
  });
}

const runtimes: HangarRuntime[] = [];

/** Shuts down every runtime started here (for afterEach). */
export async function stopHangars(): Promise<void> {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
}

export function start(overrides: Partial<SubprocessProviderSpec> = {}) {
  return startHangar([testSpec({ id: "p", healthCheckIntervalS: 3_600, ...overrides })]);
}

export function startHangar(providers: SubprocessProviderSpec[], groups?: GroupSpec[], options: Pick<HangarRuntimeOptions, "groupLanes"> = {}) {
  const script: Script = { held: [], starts: 0 };
  /** The events each provider actor took, by type (each is a step of its chart). */
  const stepsOf: Record<string, string[]> = {};
  const inspect = (event: InspectionEvent) => {
    const id = (event.actorRef as AnyActorRef).id;
    if (event.type === "@xstate.event" && id.startsWith("provider:")) (stepsOf[id.slice("provider:".length)] ??= []).push(event.event.type);
    if (event.type === "@xstate.event" && id.startsWith("group:")) (groupStepsOf[id.slice("group:".length)] ??= []).push(event.event.type);
  };
  /** The events each group actor took, by type. */
  const groupStepsOf: Record<string, string[]> = {};
  const runtime = new HangarRuntime(
    { source: "test.yaml", expose: "both", providers, groups },
    { connection: scriptedConnection(script), inspect, ...options },
  );
  const events: StampedDomainEvent[] = [];
  runtime.events.subscribe((event) => events.push(event));
  runtimes.push(runtime.start());
  // A provider chart's own context (what it has been told), beside the views (which add the lane's counts).
  const chartOf = (id: string): ProviderContext => {
    const provider = (runtime as unknown as { actor: ActorRefFrom<typeof hangarMachine> }).actor.getSnapshot().context.providers[id];
    if (provider === undefined) throw new Error(`no provider ${id}`);
    return provider.getSnapshot().context;
  };
  const actorsOf = () => (runtime as unknown as { actor: ActorRefFrom<typeof hangarMachine> }).actor.getSnapshot().context;
  // A group chart's own context (what it has been told), beside registry views (which add its lane's counts).
  const groupChartOf = (id: string): GroupContext => {
    const group = actorsOf().groups[id];
    if (group === undefined) throw new Error(`no group ${id}`);
    return group.getSnapshot().context;
  };
  const groupOf = (id: string): AnyActorRef => {
    const group = actorsOf().groups[id];
    if (group === undefined) throw new Error(`no group ${id}`);
    return group;
  };
  const steps: string[] = [];
  stepsOf.p = steps;
  return { runtime, script, steps, stepsOf, groupStepsOf, events, chart: () => chartOf("p"), chartOf, groupChartOf, groupOf };
}

export const callSteps = (steps: string[]) => steps.filter((type) => type.startsWith("INVOKE") || type.startsWith("CALL"));

