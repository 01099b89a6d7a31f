import { PassThrough, Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { fromCallback, type AnyActorRef, type InspectionEvent } from "xstate";
import { ConnectionOutbox } from "../../src/actors/connection-outbox.js";
import { failure, type CallOutcome, type ToolCall } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { createHangarServer } from "../../src/transports/mcp-server.js";
import { StdioServerLineTransport } from "../../src/transports/stdio-server-transport.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The runtime gathers the calls of one tick per provider (TickInvokes) and hands them over in one
 * event: through the provider's serving lane while it is open (the READY providers here), else in
 * one step of the provider chart (INVOKE.BATCH; see test/machines/provider-batched-calls.test.ts). What else happens in the same tick — a stop, a read, a
 * shutdown — finds the calls where it would had each been sent at once.
 */
interface Line {
  /** Every CALL the connection got, in order. */
  received: ToolCall[];
  /** Answer held calls only when told (else each tick's calls are answered in the next). */
  hold: boolean;
}

/** A connection READY at once that answers the calls of a tick together in the next, through the real ConnectionOutbox. */
function tickConnection(line: Line) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    const outbox = new ConnectionOutbox(sendBack);
    let sent: ToolCall[] = [];
    const answerSent = () => {
      const calls = sent;
      sent = [];
      for (const call of calls) {
        const done = { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 } as const;
        const answer = () => {
          call.reply({ status: "result", kind: "ok", result: { content: [{ type: "text", text: call.correlationId }] } });
        };
        const toChart = () => {
          outbox.settle(done, answer);
        };
        if (call.lane === undefined) toChart();
        else call.lane.settle(done, answer, toChart);
      }
    };
    queueMicrotask(() => {
      outbox.send({ type: "CONNECTION.READY", tools: [], pid: 7, serverInfo: undefined, protocolVersion: undefined });
    });
    const held: ToolCall[] = [];
    receive((event) => {
      for (const call of callsOf(event)) {
        line.received.push(call);
        if (line.hold) held.push(call);
        else {
          if (sent.length === 0) setImmediate(answerSent);
          sent.push(call);
        }
      }
    });
    // As a real connection does when it stops: what it still holds is answered.
    return () => {
      for (const call of held) call.reply(failure("cancelled", "provider stopped"));
    };
  });
}

const runtimes: HangarRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
});

function start(line: Line) {
  const made = make(line);
  runtimes.push(made.runtime.start());
  return made;
}

/** The runtime not started yet. */
function make(line: Line) {
  const received: string[] = [];
  /** What the provider's connection actor was sent with calls: CALL (one) or CALLS (a batch, as one event). */
  const handedOver: string[] = [];
  const inspect = (event: InspectionEvent) => {
    if (event.type !== "@xstate.event") return;
    const target = (event.actorRef as AnyActorRef).id;
    if (target === "provider:p" && event.event.type.startsWith("INVOKE")) received.push(event.event.type);
    else if (target === "connection" && event.event.type.startsWith("CALL")) handedOver.push(event.event.type);
  };
  const tools = [{ name: "t", inputSchema: { type: "object" as const } }];
  const config = { source: "test.yaml", expose: "both" as const, providers: [testSpec({ id: "p", idleTtlS: 0, healthCheckIntervalS: 3_600, tools })] };
  const runtime = new HangarRuntime(config, { connection: tickConnection(line), inspect });
  const events: StampedDomainEvent[] = [];
  runtime.events.subscribe((event) => events.push(event));
  return { runtime, events, received, handedOver };
}

const calls = (runtime: HangarRuntime, count: number, tag: string): Promise<CallOutcome>[] =>
  Array.from({ length: count }, (_, i) => runtime.invoke("p", "t", {}, { correlationId: `${tag}${i}` }));

describe("calls made in one tick", () => {
  it("reach a READY provider as one event, each sent to the connection and announced in the order made", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, events, received, handedOver } = start(line);
    await runtime.startProvider("p");
    const outcomes = await Promise.all(calls(runtime, 5, "c"));
    expect(outcomes.every((outcome) => outcome.status === "result")).toBe(true);
    // READY with nothing for its chart to judge: the provider's serving lane takes them, no step of the chart.
    expect(received).toEqual([]);
    // Handed to the connection in one event, not one CALL each.
    expect(handedOver).toEqual(["CALLS"]);
    expect(line.received.map((call) => call.correlationId)).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    const requested = events.filter((event) => event.type === "ToolInvocationRequested").map((event) => event.correlationId);
    expect(requested).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    expect(runtime.view("p")).toMatchObject({ inFlight: 0 });
    expect(runtime.view("p")?.stats.calls).toBe(5);
    // A lone call goes as a plain CALL.
    await runtime.invoke("p", "t", {});
    expect(received).toEqual([]);
    expect(handedOver).toEqual(["CALLS", "CALL"]);
  });

  it("stay together when the security controls read a provider's spec or a group's members between them", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, handedOver } = start(line);
    await runtime.startProvider("p");
    const outcomes = calls(runtime, 2, "c");
    // What admitting the next call reads: nothing a call can change, so nothing is sent for it.
    expect(runtime.spec("p")?.id).toBe("p");
    expect(runtime.groupMemberIds("p")).toBeUndefined();
    outcomes.push(...calls(runtime, 2, "d"));
    await Promise.all(outcomes);
    expect(handedOver).toEqual(["CALLS"]);
    expect(line.received.map((call) => call.correlationId)).toEqual(["c0", "c1", "d0", "d1"]);
  });

  it("from a client's chunk of tools/call lines reach the provider as one event, through the stdio front end and its admission", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, handedOver } = start(line);
    await runtime.startProvider("p");
    const server = createHangarServer(runtime, new ToolCatalogue(runtime), runtime.config.expose);
    const stdin = new PassThrough();
    const answers: string[] = [];
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        answers.push(...chunk.toString("utf8").split("\n").filter((text) => text !== ""));
        callback();
      },
    });
    await server.connect(new StdioServerLineTransport(stdin, stdout));
    const request = (id: number | string, method: string, params: object) => `${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`;
    stdin.write(request("init", "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } }));
    stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n`);
    await waitFor(() => answers.length === 1, 5_000, "the initialize answer");
    stdin.write(Array.from({ length: 4 }, (_, i) => request(i, "tools/call", { name: "p__t", arguments: {} })).join(""));
    await waitFor(() => answers.length === 5, 5_000, "the four answers");
    expect(handedOver).toEqual(["CALLS"]);
    expect(line.received).toHaveLength(4);
    await server.close();
  });

  it("start a COLD provider once, the rest waiting in its queue (single flight)", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, events } = start(line);
    const outcomes = await Promise.all(calls(runtime, 4, "c"));
    expect(outcomes.every((outcome) => outcome.status === "result")).toBe(true);
    expect(events.filter((event) => event.type === "ProviderStarted")).toHaveLength(1);
    expect(line.received).toHaveLength(4);
  });

  it("are seen by a read in the same tick", () => {
    const { runtime } = start({ received: [], hold: false });
    void runtime.invoke("p", "t", {});
    // The call was made: the provider is starting for it.
    expect(runtime.view("p")?.state).toBe("INITIALIZING");
  });

  it("go to the provider before a stop asked for in the same tick, and are answered", async () => {
    const line: Line = { received: [], hold: true };
    const { runtime } = start(line);
    await runtime.startProvider("p");
    const pending = calls(runtime, 3, "c");
    const stopped = runtime.stopProvider("p");
    expect(line.received).toHaveLength(3);
    const outcomes = await Promise.all(pending);
    await stopped;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["failure", "failure", "failure"]);
    expect(runtime.view("p")?.state).toBe("COLD");
  });

  it("made before the runtime starts reach the provider once it has, through the supervisor", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, received } = make(line);
    const invoked = runtime.invoke("p", "t", {}, { correlationId: "early-invoke" });
    let dispatched: CallOutcome | undefined;
    runtime.dispatch("p", "t", {}, { correlationId: "early-dispatch" }, (outcome) => {
      dispatched = outcome;
    });
    runtimes.push(runtime.start());
    expect(await invoked).toMatchObject({ status: "result", result: { content: [{ text: "early-invoke" }] } });
    await waitFor(() => dispatched !== undefined, 5_000, "the dispatched call's outcome");
    expect(dispatched).toMatchObject({ status: "result", result: { content: [{ text: "early-dispatch" }] } });
    // Each went on its own, through the supervisor (which has the provider queue it while it starts).
    expect(line.received.map((call) => call.correlationId)).toEqual(["early-invoke", "early-dispatch"]);
    expect(received.filter((type) => type === "INVOKE.BATCH")).toEqual([]);
  });

  it("dispatched with a reply take the tick's batch as invoked ones do, and each reply is called once", async () => {
    const line: Line = { received: [], hold: false };
    const { runtime, handedOver } = start(line);
    await runtime.startProvider("p");
    const replies: string[] = [];
    const invoked = calls(runtime, 1, "i");
    for (const tag of ["d0", "d1"]) {
      runtime.dispatch("p", "t", {}, { correlationId: tag }, (outcome) => {
        replies.push(outcome.status === "result" ? String((outcome.result as { content: { text: string }[] }).content[0]?.text) : outcome.status);
      });
    }
    await Promise.all(invoked);
    await waitFor(() => replies.length === 2, 5_000, "both dispatched calls' replies");
    expect(replies).toEqual(["d0", "d1"]);
    expect(handedOver).toEqual(["CALLS"]);
    expect(line.received.map((call) => call.correlationId)).toEqual(["i0", "d0", "d1"]);
  });

  it("are answered when the hangar shuts down in the same tick", async () => {
    const line: Line = { received: [], hold: true };
    const { runtime } = start(line);
    await runtime.startProvider("p");
    const pending = calls(runtime, 2, "c");
    await runtime.shutdown();
    await waitFor(() => line.received.length === 2, 1_000, "both calls reached the connection");
    const outcomes = await Promise.all(pending);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["failure", "failure"]);
  });
});
