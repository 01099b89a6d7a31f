import { describe, expect, it } from "vitest";
import type { SnapshotFrom } from "xstate";
import { failoverSaga } from "../../src/machines/sagas/failover.js";
import { rebalanceSaga } from "../../src/machines/sagas/rebalance.js";
import { walkModel } from "../helpers/model-walk.js";

type FailoverSnapshot = SnapshotFrom<typeof failoverSaga>;
type RebalanceSnapshot = SnapshotFrom<typeof rebalanceSaga>;

const failoverEvents = [
  { type: "PREFERRED.HEALTHY" },
  { type: "PREFERRED.UNHEALTHY" },
  { type: "CANCEL" },
  { type: "xstate.after.failbackDelay.failover.settling" },
];

describe("failover saga (model-based, real machine)", () => {
  for (const autoFailback of [true, false]) {
    for (const preferredHealthy of [true, false]) {
      it(`fails back only after the delay in settling (auto_failback ${autoFailback}, preferred healthy at start ${preferredHealthy})`, () => {
        const report = walkModel<FailoverSnapshot>(failoverSaga, {
          strategy: "simple",
          events: failoverEvents,
          input: { groupId: "g", preferred: "a", autoFailback, failbackDelayS: 30, preferredHealthy },
          invariant: (snapshot, { path, previous }) => {
            const where = `after ${path.join(" → ")}`;
            // Without auto_failback the saga ends at once and never asks for a failback.
            if (!autoFailback) expect(snapshot.value, where).toBe("holding");
            // A failback comes only from settling, on the delay — never straight from waiting.
            if (snapshot.value === "failingBack") {
              expect(previous?.value, where).toBe("settling");
              expect(path.at(-1), where).toBe("xstate.after.failbackDelay.failover.settling");
            }
            // Final states are final.
            if (["failingBack", "holding", "cancelled"].includes(snapshot.value)) expect(snapshot.status, where).toBe("done");
            else expect(snapshot.status, where).toBe("active");
          },
        });
        expect(report.statesChecked).toBeGreaterThan(0);
      });
    }
  }
});

describe("rebalance saga (model-based, real machine)", () => {
  for (const draining of [[], ["b"], ["b", "c"]]) {
    it(`ends once every removed member is drained (draining ${JSON.stringify(draining)})`, () => {
      const report = walkModel<RebalanceSnapshot>(rebalanceSaga, {
        strategy: "simple",
        events: [
          { type: "MEMBER.DRAINED", memberId: "b" },
          { type: "MEMBER.DRAINED", memberId: "c" },
          { type: "MEMBER.DRAINED", memberId: "zz" },
        ],
        input: { groupId: "g", plan: { reason: "members", members: [{ id: "a", weight: 1, priority: 1 }], added: [], removed: draining }, draining },
        invariant: (snapshot, { path }) => {
          const where = `after ${path.join(" → ")}`;
          // Done exactly when nothing is left to drain; draining only shrinks.
          if (snapshot.context.draining.length === 0) {
            expect(snapshot.value, where).toBe("done");
            expect(snapshot.status, where).toBe("done");
          } else expect(snapshot.value, where).toBe("draining");
          for (const id of snapshot.context.draining) expect(draining, where).toContain(id);
        },
      });
      expect(report.statesChecked).toBeGreaterThan(0);
    });
  }
});
