import { afterEach, describe, expect, it } from "vitest";
import { assign, createActor, enqueueActions, setup, type Actor, type ActorRefFrom, type AnyActorRef } from "xstate";
import type { GroupSpec, ProviderSpec } from "../../src/config/types.js";
import { failure, type CallOutcome, type MemberAdmission, type MemberRefusal, type ToolCall } from "../../src/machines/call.js";
import type { GroupContext, groupMachine } from "../../src/machines/group.js";
import { hangarMachine } from "../../src/machines/hangar.js";
import type { providerMachine } from "../../src/machines/provider.js";
import type { BreakerStateName, DomainEvent, ProviderStateName } from "../../src/shared/domain-events.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The group chart inside the real supervisor, with scripted members: provider actors that answer
 * each call as the call's arguments say (`{ a: "crash", b: "ok" }`), can hold a call until told,
 * and change state on command, emitting the events a real provider emits.
 */
type Behaviour = "ok" | "crash" | "timeout" | "unavailable" | "hold";

interface ScriptedContext {
  spec: ProviderSpec;
  state: ProviderStateName;
  breaker: { state: BreakerStateName };
  liveTools: undefined;
  held: ToolCall[];
}

type ScriptedEvent =
  | { type: "INVOKE"; call: ToolCall }
  | { type: "TEST.SET"; state: ProviderStateName; breaker?: BreakerStateName }
  | { type: "TEST.RELEASE" };

function okResult(member: string): CallOutcome {
  return { status: "result", kind: "ok", result: { content: [{ type: "text", text: `answered by ${member}` }] } };
}

const scriptedMember = setup({
  types: { context: {} as ScriptedContext, events: {} as ScriptedEvent, input: {} as { spec: ProviderSpec }, emitted: {} as DomainEvent },
}).createMachine({
  context: ({ input }) => ({ spec: input.spec, state: "COLD", breaker: { state: "CLOSED" }, liveTools: undefined, held: [] }),
  on: {
    INVOKE: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { call } = event;
        const behaviour = (call.arguments?.[context.spec.id] ?? "ok") as Behaviour;
        if (behaviour === "hold") {
          enqueue.assign({ held: [...context.held, call] });
          return;
        }
        const outcome = behaviour === "ok" ? okResult(context.spec.id) : failure(behaviour, `${context.spec.id}: ${behaviour}`);
        enqueue(() => {
          call.reply(outcome);
        });
      }),
    },
    "TEST.SET": {
      actions: [
        enqueueActions(({ context, event, enqueue }) => {
          enqueue.emit({ type: "ProviderStateChanged", providerId: context.spec.id, from: context.state, to: event.state, reason: "test" });
        }),
        assign({
          state: ({ event }) => event.state,
          breaker: ({ context, event }) => ({ state: event.breaker ?? context.breaker.state }),
        }),
      ],
    },
    "TEST.RELEASE": {
      actions: enqueueActions(({ context, enqueue }) => {
        const held = context.held;
        enqueue(() => {
          for (const call of held) call.reply(okResult(context.spec.id));
        });
        enqueue.assign({ held: [] });
      }),
    },
  },
});

const TOOLS = [
  { name: "safe", inputSchema: { type: "object" as const }, annotations: { readOnlyHint: true } },
  { name: "unsafe", inputSchema: { type: "object" as const } },
];

let running: Actor<typeof hangarMachine> | undefined;
afterEach(() => {
  running?.stop();
  running = undefined;
});

function startHangar(group: Partial<GroupSpec>, memberIds = ["a", "b", "c"]): Actor<typeof hangarMachine> {
  const machine = hangarMachine.provide({ actors: { provider: scriptedMember as unknown as typeof providerMachine } });
  running = createActor(machine, {
    systemId: "hangar",
    input: {
      providers: memberIds.map((id) => testSpec({ id, tools: TOOLS })),
      groups: [testGroupSpec({ members: memberIds.map((id, i) => ({ id, weight: 1, priority: i + 1 })), ...group })],
    },
  }).start();
  return running;
}

function call(hangar: Actor<typeof hangarMachine>, tool: string, behaviour: Record<string, Behaviour> = {}, admitMember?: MemberAdmission): Promise<CallOutcome> {
  return new Promise((resolve) => {
    hangar.send({ type: "INVOKE", providerId: "g", call: { tool, arguments: behaviour, correlationId: "c", reply: resolve, ...(admitMember === undefined ? {} : { admitMember }) } });
  });
}

/** A member admission that refuses `limited` (as their rate limits would: -32029, retry after `retryAfterMs[id]`) and records every member asked. */
function limitsRefusing(limited: Record<string, number>, asked: string[] = []): MemberAdmission {
  return (memberId) => {
    asked.push(memberId);
    const retryAfterMs = limited[memberId];
    if (retryAfterMs === undefined) return undefined;
    const refusal: MemberRefusal = {
      outcome: { status: "rpc_error", kind: "tool_error", code: -32029, message: `rate limit exceeded for provider '${memberId}' (rate_limit)`, data: { limit: "provider", retry_after_ms: retryAfterMs } },
      reason: "rate_limited_provider",
      retryAfterMs,
    };
    return refusal;
  };
}

function member(hangar: Actor<typeof hangarMachine>, id: string): AnyActorRef {
  const ref = hangar.system.get(`provider:${id}`) as AnyActorRef | undefined;
  if (!ref) throw new Error(`no provider:${id}`);
  return ref;
}

type GroupRef = ActorRefFrom<typeof groupMachine>;

function groupRef(hangar: Actor<typeof hangarMachine>): GroupRef {
  return hangar.system.get("group:g") as GroupRef;
}

function group(hangar: Actor<typeof hangarMachine>): GroupContext {
  return groupRef(hangar).getSnapshot().context;
}

function metaOf(outcome: CallOutcome): Record<string, unknown> | undefined {
  if (outcome.status === "result") return outcome.result._meta;
  if (outcome.status === "failure") return outcome.meta;
  return undefined;
}

describe("group chart with scripted members", () => {
  it("retries a crash of a readOnlyHint tool on the next member, and says so in _meta; the content is the member's", async () => {
    const hangar = startHangar({ strategy: "priority" });
    const outcome = await call(hangar, "safe", { a: "crash" });
    expect(outcome).toMatchObject({ status: "result", kind: "ok", result: { content: [{ type: "text", text: "answered by b" }] } });
    expect(metaOf(outcome)).toEqual({
      "mcp-hangar/group": "g",
      "mcp-hangar/member": "b",
      "mcp-hangar/retried": [{ member: "a", kind: "crash", message: "a: crash" }],
    });
    expect(group(hangar).inFlight).toEqual({ a: 0, b: 0 });
  });

  it("never retries a crash or timeout of a tool without hints under auto; a refusal is retried (the member never ran it)", async () => {
    const hangar = startHangar({ strategy: "priority" });
    for (const kind of ["crash", "timeout", "transport"] as const) {
      const outcome = await call(hangar, "unsafe", { a: kind === "transport" ? "crash" : kind });
      expect(outcome.status).toBe("failure");
      expect(metaOf(outcome)).toMatchObject({ "mcp-hangar/member": "a" });
      expect(metaOf(outcome)?.["mcp-hangar/retried"]).toBeUndefined();
    }
    const refused = await call(hangar, "unsafe", { a: "unavailable" });
    expect(refused.status).toBe("result");
    expect(metaOf(refused)?.["mcp-hangar/member"]).toBe("b");
  });

  it("tries at most max_attempts members, and always / never override the annotations", async () => {
    const three = startHangar({ strategy: "round_robin", maxAttempts: 2, retryOnMemberFailure: "always" });
    const outcome = await call(three, "unsafe", { a: "crash", b: "crash", c: "crash" });
    expect(outcome.status).toBe("failure");
    // Two members tried: a, then one of the others (round robin's turn); the third is never asked.
    expect(metaOf(outcome)?.["mcp-hangar/retried"]).toMatchObject([{ member: "a", kind: "crash" }]);
    expect(["b", "c"]).toContain(metaOf(outcome)?.["mcp-hangar/member"]);
    three.stop();
    const never = startHangar({ strategy: "round_robin", retryOnMemberFailure: "never" });
    expect(metaOf(await call(never, "safe", { a: "crash" }))).toMatchObject({ "mcp-hangar/member": "a" });
    expect(metaOf(await call(never, "safe", { b: "unavailable" }))).toMatchObject({ "mcp-hangar/member": "b" });
  });

  it("counts calls in flight from dispatch to answer; least_connections sends new calls to the idle member", async () => {
    const hangar = startHangar({ strategy: "least_connections" }, ["a", "b"]);
    const held = call(hangar, "safe", { a: "hold", b: "hold" });
    await waitFor(() => Object.values(group(hangar).inFlight).reduce((sum, n) => sum + n, 0) === 1, 1_000, "one call in flight");
    const busy = Object.entries(group(hangar).inFlight).find(([, n]) => n === 1)?.[0];
    const idle = busy === "a" ? "b" : "a";
    for (let i = 0; i < 5; i++) expect(metaOf(await call(hangar, "safe"))?.["mcp-hangar/member"]).toBe(idle);
    member(hangar, busy ?? "a").send({ type: "TEST.RELEASE" });
    expect(metaOf(await held)?.["mcp-hangar/member"]).toBe(busy);
    expect(group(hangar).inFlight).toEqual({ a: 0, b: 0 });
  });

  it("removing a member drops it from rotation at once but lets its in-flight call finish (rebalance saga drains it)", async () => {
    const hangar = startHangar({ strategy: "round_robin" }, ["a", "b"]);
    const events: string[] = [];
    (hangar.system.get("group:g") as AnyActorRef).on("*", (event: DomainEvent) => events.push(event.type));
    const held = call(hangar, "safe", { a: "hold" });
    await waitFor(() => group(hangar).inFlight.a === 1, 1_000, "a call in flight on a");
    (hangar.system.get("group:g") as AnyActorRef).send({ type: "MEMBER.REMOVE", memberId: "a" });
    await waitFor(() => group(hangar).members.length === 1, 1_000, "a removed");
    expect(hangar.system.get("saga:rebalance:g")).toBeDefined();
    for (let i = 0; i < 3; i++) expect(metaOf(await call(hangar, "safe", { a: "hold" }))?.["mcp-hangar/member"]).toBe("b");
    member(hangar, "a").send({ type: "TEST.RELEASE" });
    const answer = await held;
    expect(answer.status).toBe("result");
    expect(metaOf(answer)?.["mcp-hangar/member"]).toBe("a");
    await waitFor(() => hangar.system.get("saga:rebalance:g") === undefined, 1_000, "the rebalance saga to end");
    expect(group(hangar).inFlight).toEqual({ b: 0 });
    expect(events).toContain("GroupRebalanced");
  });

  it("HEALTHY → PARTIAL → INACTIVE as members leave rotation; INACTIVE refuses with each member's reason", async () => {
    const hangar = startHangar({ strategy: "round_robin", minHealthy: 2 }, ["a", "b"]);
    const states = groupRef(hangar);
    expect(states.getSnapshot().value).toBe("HEALTHY");
    member(hangar, "a").send({ type: "TEST.SET", state: "DEAD" });
    await waitFor(() => states.getSnapshot().value === "PARTIAL", 1_000, "PARTIAL");
    expect(metaOf(await call(hangar, "safe"))?.["mcp-hangar/member"]).toBe("b");
    member(hangar, "b").send({ type: "TEST.SET", state: "READY", breaker: "OPEN" });
    await waitFor(() => states.getSnapshot().value === "INACTIVE", 1_000, "INACTIVE");
    const refused = await call(hangar, "safe");
    expect(refused).toMatchObject({
      status: "failure",
      kind: "unavailable",
      message: "group 'g' is INACTIVE: none of its 2 members is available (a: DEAD, b: breaker OPEN)",
    });
    expect(metaOf(refused)).toEqual({ "mcp-hangar/group": "g" });
    member(hangar, "b").send({ type: "TEST.SET", state: "READY", breaker: "CLOSED" });
    await waitFor(() => states.getSnapshot().value === "PARTIAL", 1_000, "PARTIAL again");
  });

  it("the supervisor routes registry_group_rebalance to the group and answers once it is applied", async () => {
    const hangar = startHangar({ strategy: "priority", failover: { autoFailback: false, failbackDelayS: 0 } }, ["a", "b"]);
    member(hangar, "a").send({ type: "TEST.SET", state: "DEAD" });
    await waitFor(() => group(hangar).active === "b", 1_000, "failover to b");
    member(hangar, "a").send({ type: "TEST.SET", state: "READY" });
    await waitFor(() => group(hangar).members[0]?.state === "READY", 1_000, "a READY");
    expect(group(hangar).active).toBe("b");
    await new Promise<void>((resolve) => {
      hangar.send({ type: "GROUP.REBALANCE", groupId: "g", reply: resolve });
    });
    expect(group(hangar).active).toBe("a");
  });
});

describe("group chart: members over their own rate limits are skipped", () => {
  it("round_robin: a picked member over its limit is skipped for the strategy's pick among the others; _meta names the skipped", async () => {
    const hangar = startHangar({ strategy: "round_robin" }, ["a", "b"]);
    const asked: string[] = [];
    const outcome = await call(hangar, "safe", {}, limitsRefusing({ a: 500 }, asked));
    expect(outcome.status).toBe("result");
    expect(metaOf(outcome)).toEqual({ "mcp-hangar/group": "g", "mcp-hangar/member": "b", "mcp-hangar/rate_limited": ["a"] });
    expect(asked).toEqual(["a", "b"]);
    // Both picks counted as turns: a's turn comes round again.
    expect(metaOf(await call(hangar, "safe"))?.["mcp-hangar/member"]).toBe("a");
    expect(group(hangar).inFlight).toEqual({ a: 0, b: 0 });
  });

  it("priority: the active member over its limit gives the call to the next priority, without a failover", async () => {
    const hangar = startHangar({ strategy: "priority" });
    const outcome = await call(hangar, "safe", {}, limitsRefusing({ a: 500 }));
    expect(metaOf(outcome)?.["mcp-hangar/member"]).toBe("b");
    expect(group(hangar).active).toBe("a");
  });

  it("refuses only when every member in rotation is over its limit, with one -32029 that says so and the soonest retry", async () => {
    const hangar = startHangar({ strategy: "round_robin" });
    const events: DomainEvent[] = [];
    groupRef(hangar).on("*", (event: DomainEvent) => events.push(event));
    member(hangar, "c").send({ type: "TEST.SET", state: "DEAD" });
    await waitFor(() => group(hangar).rotation.length === 2, 1_000, "c out of rotation");
    const asked: string[] = [];
    const outcome = await call(hangar, "safe", {}, limitsRefusing({ a: 1_500, b: 700 }, asked));
    expect(asked.sort()).toEqual(["a", "b"]);
    expect(outcome).toMatchObject({ status: "rpc_error", code: -32029 });
    if (outcome.status !== "rpc_error") throw new Error("expected an rpc_error");
    expect(outcome.message).toMatch(/^every member of group 'g' is over its rate limit \(rate limit exceeded for provider '(a|b)'.*; rate limit exceeded for provider '(a|b)'.*\); retry after 0\.7 s$/);
    expect(outcome.data).toMatchObject({ limit: "group_members", retry_after_ms: 700, retry_after_s: 0.7, members: { a: { retry_after_ms: 1_500 }, b: { retry_after_ms: 700 } } });
    expect(group(hangar).inFlight).toEqual({});
    expect(events.filter((event) => event.type === "ToolInvocationFailed")).toEqual([
      expect.objectContaining({ providerId: "g", kind: "rejected", refusal: "rate_limited_provider", stage: "refused" }),
    ]);
  });

  it("a retry after a member failed skips members over their limits too; when none is left the failure stands", async () => {
    const hangar = startHangar({ strategy: "priority", maxAttempts: 3 });
    const outcome = await call(hangar, "safe", { a: "crash" }, limitsRefusing({ b: 500 }));
    expect(metaOf(outcome)).toEqual({
      "mcp-hangar/group": "g",
      "mcp-hangar/member": "c",
      "mcp-hangar/retried": [{ member: "a", kind: "crash", message: "a: crash" }],
      "mcp-hangar/rate_limited": ["b"],
    });
    const stands = await call(hangar, "safe", { a: "crash" }, limitsRefusing({ b: 500, c: 500 }));
    expect(stands).toMatchObject({ status: "failure", kind: "crash" });
    expect(metaOf(stands)).toMatchObject({ "mcp-hangar/member": "a", "mcp-hangar/rate_limited": ["b", "c"] });
  });
});
