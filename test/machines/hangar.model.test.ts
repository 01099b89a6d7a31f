import { describe, expect, it } from "vitest";
import type { SnapshotFrom } from "xstate";
import { hangarMachine } from "../../src/machines/hangar.js";
import { walkModel } from "../helpers/model-walk.js";
import { testSpec } from "../helpers/specs.js";

type HangarSnapshot = SnapshotFrom<typeof hangarMachine>;

const reply = (): void => undefined;
const call = { tool: "t", arguments: {}, correlationId: "c", reply };
const events = [
  { type: "INVOKE", providerId: "a", call },
  { type: "INVOKE", providerId: "nope", call },
  { type: "START", providerId: "a", reply },
  { type: "STOP", providerId: "b", reason: "manual", reply },
  { type: "STATUS", reply },
  { type: "LIST_TOOLS", reply },
  { type: "PROVIDER.CRASHED", providerId: "a" },
  { type: "RECOVERY.RESTART", providerId: "a" },
  { type: "RECOVERY.GAVE_UP", providerId: "a" },
  { type: "SHUTDOWN" },
];

describe("hangar supervisor chart (model-based, real machine)", () => {
  it("keeps one provider actor per configured provider, under its systemId, until shutdown", () => {
    const report = walkModel<HangarSnapshot>(hangarMachine, {
      events,
      input: { providers: [testSpec({ id: "a" }), testSpec({ id: "b" })] },
      // The supervisor's state is tiny; keying by the last event checks the invariant after every kind of message.
      serializeState: (snapshot, event) => `${JSON.stringify(snapshot.value)}|${JSON.stringify(event ?? null)}`,
      invariant: (snapshot, { path }) => {
        const where = `after ${path.join(" → ")}`;
        // Routing never loses or invents a provider: the map is the config's providers.
        expect(Object.keys(snapshot.context.providers).sort(), where).toEqual(["a", "b"]);
        for (const [id, ref] of Object.entries(snapshot.context.providers)) expect(ref.id, where).toBe(`provider:${id}`);
        // SHUTDOWN is final: nothing is routed after it.
        if (path.includes("SHUTDOWN")) expect(snapshot.status, where).toBe("done");
        else expect(snapshot.value, where).toBe("running");
      },
    });
    console.error(`hangar chart: ${report.paths} shortest paths, ${report.statesChecked} states checked`);
    expect(report.statesChecked).toBeGreaterThan(1);
  });
});
