import { describe, expect, it } from "vitest";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { heldConnection, outcomeText } from "../helpers/held-connection.js";
import { testSpec } from "../helpers/specs.js";
import { turnEnds, waitFor } from "../helpers/wait.js";

function setup() {
  const held: (() => void)[] = [];
  const started: string[] = [];
  const runtime = new HangarRuntime(
    { source: "test.yaml", expose: "both", providers: [testSpec({ id: "a", description: "a-v1" }), testSpec({ id: "b", description: "b-v1" })] },
    { connection: heldConnection(held, started, (spec) => spec.description ?? spec.id) },
  );
  const events: StampedDomainEvent[] = [];
  runtime.events.subscribe((event) => events.push(event));
  runtime.start();
  return { runtime, held, started, events };
}

describe("supervisor membership at run time", () => {
  it("adds a provider that routes at once and announces itself", async () => {
    const { runtime, events } = setup();
    await runtime.addProvider(testSpec({ id: "c", description: "c-v1" }));
    expect(runtime.providerIds()).toEqual(["a", "b", "c"]);
    expect(outcomeText(await runtime.invoke("c", "who", {}))).toBe("c-v1");
    expect(events.some((event) => event.type === "ProviderAdded" && event.providerId === "c")).toBe(true);
    await runtime.shutdown();
  });

  it("replaces a provider only after its call in flight finished; calls meanwhile wait for the new one", async () => {
    const { runtime, held, started, events } = setup();
    const long = runtime.invoke("a", "hold", {});
    await waitFor(() => held.length === 1, 2_000, "the long call to reach the provider");
    const replaced = runtime.replaceProvider(testSpec({ id: "a", description: "a-v2" }));
    const during = runtime.invoke("a", "who", {});
    // Nothing happens to the call in flight: the old actor is still there, draining.
    await turnEnds();
    expect(runtime.view("a")?.state).toBe("READY");
    expect(events.some((event) => event.type === "ProviderReplaced")).toBe(false);

    held[0]?.();
    expect(outcomeText(await long)).toBe("a-v1");
    await replaced;
    expect(outcomeText(await during)).toBe("a-v2");
    // The old one was running, so the new one started at once (warm); b never restarted.
    expect(started).toEqual(["a-v1", "a-v2"]);
    expect(events.filter((event) => event.type === "ProviderReplaced").map((event) => event.providerId)).toEqual(["a"]);
    expect(events.some((event) => event.type === "ProviderStopped" && event.providerId === "a" && event.reason === "config")).toBe(true);
    await runtime.shutdown();
  });

  it("replaces a COLD provider without starting it", async () => {
    const { runtime, started } = setup();
    await runtime.replaceProvider(testSpec({ id: "b", description: "b-v2" }));
    expect(runtime.view("b")?.state).toBe("COLD");
    expect(runtime.spec("b")?.description).toBe("b-v2");
    expect(started).toEqual([]);
    await runtime.shutdown();
  });

  it("removes a provider from routing at once and stops it after its call finished", async () => {
    const { runtime, held, events } = setup();
    const long = runtime.invoke("b", "hold", {});
    await waitFor(() => held.length === 1, 2_000, "the long call to reach the provider");
    const removed = runtime.removeProvider("b");
    await turnEnds();
    expect(runtime.providerIds()).toEqual(["a"]);
    await expect(runtime.invoke("b", "who", {})).resolves.toMatchObject({ status: "failure", kind: "rejected" });
    held[0]?.();
    expect(outcomeText(await long)).toBe("b-v1");
    await removed;
    expect(events.some((event) => event.type === "ProviderRemoved" && event.providerId === "b")).toBe(true);
    expect(events.some((event) => event.type === "ProviderStopped" && event.providerId === "b" && event.reason === "config")).toBe(true);
    // The id is free again.
    await runtime.addProvider(testSpec({ id: "b", description: "b-v3" }));
    expect(outcomeText(await runtime.invoke("b", "who", {}))).toBe("b-v3");
    await runtime.shutdown();
  });

  it("a warm provider added at run time starts on arrival", async () => {
    const { runtime, started } = setup();
    await runtime.addProvider(testSpec({ id: "w", description: "w-v1", warm: true }));
    await waitFor(() => runtime.view("w")?.state === "READY", 2_000, "the warm provider to start");
    expect(started).toEqual(["w-v1"]);
    await runtime.shutdown();
  });

  it("a removal of an unknown provider is a no-op", async () => {
    const { runtime } = setup();
    await runtime.removeProvider("nope");
    expect(runtime.providerIds()).toEqual(["a", "b"]);
    await runtime.shutdown();
  });
});
