import { describe, expect, it } from "vitest";
import { AuditTrail } from "../../src/observability/audit/trail.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { Redactor } from "../../src/shared/redaction.js";
import { callRegistryTool } from "../../src/transports/registry-tools.js";
import { ToolCatalogue } from "../../src/transports/tool-catalogue.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";

const extra = { signal: new AbortController().signal, meta: undefined };

function memoryTrail(): AuditTrail {
  return new AuditTrail({
    spec: { enabled: true, path: ":memory:", capture: "hash", retentionDays: 30, batchMs: 60_000, writerThread: false },
    source: "/etc/hangar.yaml",
    redactor: new Redactor(),
    onError: (error) => {
      throw error;
    },
  });
}

describe("registry_history and replayed counters", () => {
  it("lists a provider's transitions and calls from the trail; replayed counters seed registry_details", async () => {
    const trail = memoryTrail();
    const config = { source: "/etc/hangar.yaml", expose: "both" as const, providers: [testSpec({ id: "math" })] };
    const records = { math: { stats: { calls: 10, failures: 3, starts: 2, lastCallAt: 1_000 }, lastError: undefined, restartCount: 4 } };
    const runtime = new HangarRuntime(config, { connection: instantConnection, records, history: trail });
    trail.attach(runtime.events);
    runtime.start();
    const catalogue = new ToolCatalogue(runtime);
    try {
      await runtime.invoke("math", "add", { a: 1 });
      const result = await callRegistryTool("registry_history", { provider: "math" }, { runtime, catalogue }, extra);
      const data = result.structuredContent as { transitions: { type: string }[]; calls: { type: string }[] };
      expect(data.transitions.map((event) => event.type)).toEqual([
        "ProviderStateChanged",
        "ProviderStarted",
        "ProviderStateChanged",
      ]);
      // The call was answered before its batch was written: one row, the answer's, with the request's arguments.
      expect(data.calls.map((event) => event.type)).toEqual(["ToolInvocationCompleted"]);
      expect((data.calls[0] as { data?: { arguments?: unknown } }).data?.arguments).toMatchObject({ bytes: 7, hmac: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
      const details = (await callRegistryTool("registry_details", { provider: "math" }, { runtime, catalogue }, extra)).structuredContent;
      expect(details).toMatchObject({ calls: 11, failures: 3, starts: 3, restarts: { count: 4 } });
    } finally {
      catalogue.close();
      await runtime.shutdown();
      trail.close();
    }
  });

  it("says the audit trail is off when there is none", async () => {
    const config = { source: "/etc/hangar.yaml", expose: "both" as const, providers: [testSpec({ id: "math" })] };
    const runtime = new HangarRuntime(config, { connection: instantConnection }).start();
    const catalogue = new ToolCatalogue(runtime);
    try {
      expect(() => callRegistryTool("registry_history", { provider: "math" }, { runtime, catalogue }, extra)).toThrow(/audit trail is off/);
    } finally {
      catalogue.close();
      await runtime.shutdown();
    }
  });
});
