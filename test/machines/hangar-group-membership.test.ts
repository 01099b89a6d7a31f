import { describe, expect, it } from "vitest";
import type { GroupSpec, ProviderSpec } from "../../src/config/types.js";
import { desiredGroups, groupChanges } from "../../src/machines/group-membership.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { heldConnection, outcomeText } from "../helpers/held-connection.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

function joining(id: string, group: string, weight = 1): ProviderSpec {
  return testSpec({ id, group: { id: group, weight, priority: 1 } });
}

function setup(providers: ProviderSpec[], groups: GroupSpec[] = []) {
  const held: (() => void)[] = [];
  const runtime = new HangarRuntime(
    { source: "test.yaml", expose: "both", providers, groups },
    { connection: heldConnection(held, [], (spec) => spec.id) },
  );
  const events: StampedDomainEvent[] = [];
  runtime.events.subscribe((event) => events.push(event));
  runtime.start();
  return { runtime, held, events };
}

const members = (runtime: HangarRuntime, group: string) => runtime.groupMemberIds(group)?.slice().sort();

describe("group membership (pure)", () => {
  it("joins configured groups, makes auto groups, and refuses a group id that is a provider's", () => {
    const plan = desiredGroups([testGroupSpec({ id: "g" })], [testSpec({ id: "a" }), testSpec({ id: "b" }), joining("c", "g"), joining("d", "auto"), joining("e", "a")]);
    expect(plan.groups.g?.spec.members.map((m) => m.id)).toEqual(["a", "b", "c"]);
    expect(plan.groups.auto).toMatchObject({ auto: true, spec: { strategy: "round_robin", minHealthy: 1, maxAttempts: 2, members: [{ id: "d", weight: 1 }] } });
    expect(plan.conflicts).toEqual([expect.objectContaining({ providerId: "e", groupId: "a" })]);
  });

  it("tells members that came or went from settings that changed", () => {
    const before = desiredGroups([testGroupSpec({ id: "g" }), testGroupSpec({ id: "h" }), testGroupSpec({ id: "gone" })], []).groups;
    const after = desiredGroups(
      [testGroupSpec({ id: "g", members: [{ id: "a", weight: 1, priority: 1 }, { id: "c", weight: 1, priority: 1 }] }), testGroupSpec({ id: "h", strategy: "random" }), testGroupSpec({ id: "new" })],
      [],
    ).groups;
    expect(groupChanges(before, after)).toEqual({
      add: [expect.objectContaining({ spec: expect.objectContaining({ id: "new" }) as unknown })],
      replace: [expect.objectContaining({ spec: expect.objectContaining({ id: "h", strategy: "random" }) as unknown })],
      remove: ["gone"],
      members: [{ groupId: "g", add: [{ id: "c", weight: 1, priority: 1 }], remove: ["b"] }],
    });
    expect(groupChanges(before, before)).toEqual({ add: [], replace: [], remove: [], members: [] });
  });
});

describe("supervisor: providers join and leave groups at run time", () => {
  it("a provider naming a configured group joins it; calls through the group reach it; leaving drains it first", async () => {
    const { runtime, held, events } = setup([testSpec({ id: "a" })], [testGroupSpec({ id: "g", members: [{ id: "a", weight: 1, priority: 1 }] })]);
    await runtime.addProvider(joining("c", "g"));
    await waitFor(() => members(runtime, "g")?.join() === "a,c", 2_000, "c to join g");
    const answered = new Set<string>();
    for (let i = 0; i < 4; i += 1) answered.add(outcomeText(await runtime.invoke("g", "who", {})) ?? "");
    expect([...answered].sort()).toEqual(["a", "c"]);

    // Round robin sends one long call to each member; removing c takes it out of the rotation at
    // once, and c stops only after its call has completed.
    const longs = [runtime.invoke("g", "hold", {}), runtime.invoke("g", "hold", {})];
    await waitFor(() => held.length === 2, 2_000, "a long call on each member");
    expect(runtime.groupView("g")?.members.find((m) => m.id === "c")?.inFlight).toBe(1);
    let gone = false;
    const removed = runtime.removeProvider("c").then(() => {
      gone = true;
    });
    await waitFor(() => members(runtime, "g")?.join() === "a", 2_000, "c to leave g");
    expect(outcomeText(await runtime.invoke("g", "who", {}))).toBe("a");
    expect(gone).toBe(false);
    for (const release of held) release();
    await removed;
    expect((await Promise.all(longs)).map((outcome) => outcome.status)).toEqual(["result", "result"]);
    expect(events.some((event) => event.type === "GroupRebalanced" && event.groupId === "g" && event.removed.includes("c"))).toBe(true);
    await runtime.shutdown();
  });

  it("an auto group appears with its first member, keeps every member of a burst, and goes with its last", async () => {
    const { runtime, events } = setup([testSpec({ id: "a" })]);
    await Promise.all([runtime.addProvider(joining("x", "pool")), runtime.addProvider(joining("y", "pool", 2)), runtime.addProvider(joining("z", "pool"))]);
    await waitFor(() => members(runtime, "pool")?.join() === "x,y,z", 2_000, "every member of the burst");
    expect(runtime.isAutoGroup("pool")).toBe(true);
    expect(runtime.groupView("pool")?.members.find((m) => m.id === "y")?.weight).toBe(2);
    expect(events).toContainEqual(expect.objectContaining({ type: "GroupAdded", groupId: "pool", auto: true, members: ["x"] }));

    await Promise.all([runtime.removeProvider("x"), runtime.removeProvider("y")]);
    await waitFor(() => members(runtime, "pool")?.join() === "z", 2_000, "two members to leave");
    await runtime.removeProvider("z");
    expect(runtime.hasGroup("pool")).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: "GroupRemoved", groupId: "pool" }));
    const refused = await runtime.invoke("pool", "who", {});
    expect(refused).toMatchObject({ status: "failure", kind: "rejected" });
    await runtime.shutdown();
  });

  it("a provider naming a provider's id as its group runs on its own; the conflict is reported once", async () => {
    const { runtime, events } = setup([testSpec({ id: "a" })]);
    await runtime.addProvider(joining("b", "a"));
    expect(runtime.groupIds()).toEqual([]);
    expect(outcomeText(await runtime.invoke("b", "who", {}))).toBe("b");
    expect(outcomeText(await runtime.invoke("a", "who", {}))).toBe("a");
    await runtime.addProvider(testSpec({ id: "c" }));
    expect(events.filter((event) => event.type === "GroupJoinRefused")).toEqual([
      expect.objectContaining({ groupId: "a", providerId: "b", message: expect.stringContaining("'a' is a provider") as unknown }),
    ]);
    await runtime.shutdown();
  });

  it("a changed spec's provider actor is followed by the group (replacement keeps membership)", async () => {
    const { runtime } = setup([testSpec({ id: "a" })], [testGroupSpec({ id: "g", members: [{ id: "a", weight: 1, priority: 1 }] })]);
    await runtime.startProvider("a");
    await waitFor(() => runtime.groupView("g")?.members[0]?.state === "READY", 2_000, "a READY in the group");
    await runtime.replaceProvider(testSpec({ id: "a", description: "v2" }));
    await waitFor(() => runtime.view("a")?.state === "READY", 2_000, "the new a to be READY");
    await waitFor(() => runtime.groupView("g")?.members[0]?.state === "READY", 2_000, "the group to follow the new actor");
    await runtime.stopProvider("a");
    await waitFor(() => runtime.groupView("g")?.members[0]?.state === "COLD", 2_000, "the group to see the new actor stop");
    await runtime.shutdown();
  });
});
