import { describe, expect, it } from "vitest";
import type { SnapshotFrom } from "xstate";
import { recoverySaga } from "../../src/machines/sagas/recovery.js";
import { walkModel } from "../helpers/model-walk.js";

type SagaSnapshot = SnapshotFrom<typeof recoverySaga>;

const restart = { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 2, windowS: 300 };
const events = [{ type: "CANCEL" }, { type: "xstate.after.backoff.recovery.waiting" }];

describe("recovery saga (model-based, real machine)", () => {
  for (const [label, restartTimes, strategy] of [
    ["within budget, shortest paths", [] as number[], "shortest"],
    ["within budget, simple paths", [] as number[], "simple"],
    ["over budget, shortest paths", [9_000, 9_500], "shortest"],
  ] as const) {
    it(`ends in exactly one decision on every path (${label})`, () => {
      const report = walkModel<SagaSnapshot>(recoverySaga, {
        strategy,
        events,
        input: { providerId: "p", restart, restartTimes, now: 10_000, random: 0.5 },
        invariant: (snapshot, { path }) => {
          const where = `after ${path.join(" → ")}`;
          const { context } = snapshot;
          // Over budget it never waits or restarts; within budget it never gives up.
          const overBudget = context.attempt >= context.maxRestarts;
          if (overBudget) expect(["gaveUp"], where).toContain(snapshot.value);
          else expect(["waiting", "restarting", "cancelled"], where).toContain(snapshot.value);
          // The restart time it announces is the delay it waits.
          expect(context.restartAt - 10_000, where).toBe(context.delayMs);
          expect(context.delayMs, where).toBeLessThanOrEqual(restart.maxDelayS * 1000);
          // Final states are final: the saga ends after its decision.
          if (snapshot.value !== "waiting") expect(snapshot.status, where).toBe("done");
        },
      });
      expect(report.statesChecked).toBeGreaterThan(0);
    });
  }
});
