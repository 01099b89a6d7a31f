import { afterEach, describe, expect, it } from "vitest";
import { createActor, fromCallback, waitFor, type Actor } from "xstate";
import type { CallOutcome, ToolCall } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { providerMachine } from "../../src/machines/provider.js";
import type { DomainEvent } from "../../src/shared/domain-events.js";
import { testSpec } from "../helpers/specs.js";

/**
 * A serving provider hands each call to its connection in the middle of the INVOKE (or
 * INVOKE.BATCH) step, before the step's own bookkeeping — the connection writes to the provider
 * at once, and that write is on the call's critical path — and the bookkeeping still ends where
 * it did: counted in flight, announced, and counted done when the answer comes, even an answer
 * the connection gives at once.
 */
interface Seen {
  /** For each call the connection got: the provider's calls in flight as its snapshot said then. */
  inFlightWhenHandedOver: number[];
  /** Events the provider had emitted when the connection got each call. */
  eventsWhenHandedOver: string[][];
}

const actors: Actor<typeof providerMachine>[] = [];
afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
});

async function serving(answerAtOnce: boolean) {
  const seen: Seen = { inFlightWhenHandedOver: [], eventsWhenHandedOver: [] };
  const events: DomainEvent[] = [];
  const provider: { actor?: Actor<typeof providerMachine> } = {};
  const connection = fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    queueMicrotask(() => {
      sendBack({ type: "CONNECTION.READY", tools: [], pid: 7, serverInfo: undefined, protocolVersion: undefined });
    });
    receive((event) => {
      for (const call of callsOf(event)) {
        if (provider.actor === undefined) return;
        seen.inFlightWhenHandedOver.push(provider.actor.getSnapshot().context.inFlight);
        seen.eventsWhenHandedOver.push(events.map((emitted) => emitted.type));
        if (!answerAtOnce) continue;
        call.reply({ status: "result", kind: "ok", result: { content: [] } });
        sendBack({ type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 });
      }
    });
  });
  const actor = createActor(providerMachine.provide({ actors: { connection } }), { input: { spec: testSpec() } });
  provider.actor = actor;
  actors.push(actor);
  actor.on("*", (event) => events.push(event));
  actor.start();
  actor.send({ type: "START" });
  await waitFor(actor, (snapshot) => snapshot.context.state === "READY");
  events.length = 0;
  return { actor, seen, events };
}

function call(id: string, outcomes: CallOutcome[]): ToolCall {
  return { tool: "add", arguments: {}, correlationId: id, reply: (outcome) => outcomes.push(outcome) };
}

describe("provider chart hands calls to its connection within the step", () => {
  it("a lone call reaches the connection before the step counts or announces it, and is counted and announced after", async () => {
    const { actor, seen, events } = await serving(false);
    actor.send({ type: "INVOKE", call: call("c1", []) });
    expect(seen.inFlightWhenHandedOver).toEqual([0]);
    expect(seen.eventsWhenHandedOver).toEqual([[]]);
    expect(actor.getSnapshot().context.inFlight).toBe(1);
    expect(events.map((event) => event.type)).toEqual(["ToolInvocationRequested"]);
  });

  it("the calls of one tick reach the connection in order before the batch's step counts them", async () => {
    const { actor, seen, events } = await serving(false);
    actor.send({ type: "INVOKE.BATCH", calls: [call("c1", []), call("c2", []), call("c3", [])] });
    expect(seen.inFlightWhenHandedOver).toEqual([0, 0, 0]);
    expect(actor.getSnapshot().context.inFlight).toBe(3);
    expect(events.map((event) => (event.type === "ToolInvocationRequested" ? event.correlationId : event.type))).toEqual(["c1", "c2", "c3"]);
  });

  it("an answer the connection gives at once is taken after the call's step: announced after the request, counted done", async () => {
    const { actor, events } = await serving(true);
    const outcomes: CallOutcome[] = [];
    actor.send({ type: "INVOKE", call: call("c1", outcomes) });
    actor.send({ type: "INVOKE.BATCH", calls: [call("c2", outcomes), call("c3", outcomes)] });
    expect(outcomes).toHaveLength(3);
    expect(actor.getSnapshot().context).toMatchObject({ inFlight: 0, stats: { calls: 3, failures: 0 } });
    const order = events.map((event) => `${event.type}:${"correlationId" in event ? event.correlationId : ""}`);
    expect(order).toEqual([
      "ToolInvocationRequested:c1",
      "ToolInvocationCompleted:c1",
      "ToolInvocationRequested:c2",
      "ToolInvocationRequested:c3",
      "ToolInvocationCompleted:c2",
      "ToolInvocationCompleted:c3",
    ]);
  });
});
