import { describe, expect, it } from "vitest";
import { discoveryMachine } from "../../src/machines/discovery.js";
import { groupMachine } from "../../src/machines/group.js";
import { hangarMachine } from "../../src/machines/hangar.js";
import { ATTACH_OBSERVER } from "../../src/machines/observer-attach.js";
import { providerMachine } from "../../src/machines/provider.js";
import { failoverSaga } from "../../src/machines/sagas/failover.js";
import { rebalanceSaga } from "../../src/machines/sagas/rebalance.js";
import { recoverySaga } from "../../src/machines/sagas/recovery.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testGroupSpec } from "../helpers/group-specs.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

describe("the domain-event bus hears every actor without xstate's inspect hook", () => {
  it("every chart of the system subscribes the bus first, before any entry action that could emit", () => {
    const charts = [hangarMachine, providerMachine, groupMachine, discoveryMachine, recoverySaga, failoverSaga, rebalanceSaga];
    for (const chart of charts) expect(chart.root.entry[0], chart.id).toBe(ATTACH_OBSERVER);
  });

  it("providers, groups, discovery and the supervisor all publish on the bus", async () => {
    const config = {
      source: "test.yaml",
      expose: "both" as const,
      providers: [testSpec({ id: "a" }), testSpec({ id: "b" })],
      groups: [testGroupSpec()],
    };
    const runtime = new HangarRuntime(config, { connection: instantConnection });
    const events: StampedDomainEvent[] = [];
    runtime.events.subscribe((event) => events.push(event));
    runtime.start();
    try {
      await expect(runtime.invoke("g", "t", {})).resolves.toMatchObject({ status: "result" });
      await runtime.rebalanceGroup("g");
      await runtime.reload({ ...config, providers: [...config.providers, testSpec({ id: "c" })] });
      await waitFor(() => events.some((event) => event.type === "ProviderAdded"), 2000, "ProviderAdded on the bus");
      const sources = new Set(events.map((event) => event.systemId));
      for (const source of ["hangar", "provider:a", "group:g", "discovery"]) expect(sources, source).toContain(source);
      // The provider added at run time is attached too, from its first event.
      await expect(runtime.invoke("c", "t", {})).resolves.toMatchObject({ status: "result" });
      const fromC = events.filter((event) => event.systemId === "provider:c").map((event) => event.type);
      expect(fromC).toEqual(expect.arrayContaining(["ProviderStateChanged", "ProviderStarted", "ToolInvocationRequested", "ToolInvocationCompleted"]));
    } finally {
      await runtime.shutdown();
    }
  });
});
