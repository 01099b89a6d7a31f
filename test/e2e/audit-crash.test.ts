import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { invoke, textOf, useE2E, within } from "../helpers/cli.js";
import { faultyProvider } from "../helpers/resilience.js";
import { argumentsOf, expectEveryEvent, readAudit, verifyAudit } from "../helpers/audit-db.js";
import { waitFor } from "../helpers/wait.js";

/**
 * kill -9 of the hangar in the middle of a burst of calls: the audit file opens cleanly,
 * verifies, and holds every event up to the last batch that was written — no gap, no torn row.
 */
const e2e = useE2E();

describe("audit trail: kill -9 during a burst", () => {
  it("the file opens, verifies, and holds an unbroken prefix of the hangar's events", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    const hangar = await e2e.start({
      // The provider goes when its stdin does, as a well-behaved server does: nothing else stops it
      // after a kill -9 of the hangar but the next hangar's start-up (docs/architecture.md), and
      // the pinned call below would keep it alive for 30 s (a CI run's cleanup found it so).
      providers: { echo: faultyProvider(marker, { FAULT_EXIT_ON_STDIN_END: 1 }) },
      audit: { path, batch_ms: 20 },
    });
    expect(textOf(await invoke(hangar.client, "echo", "echo", { text: "warm" }))).toBe("warm");

    // A burst that keeps going until the hangar dies: eight callers, each calling again as soon
    // as its last call is answered, so calls are in flight whenever the kill comes.
    let answered = 0;
    let killed = false;
    const caller = async (worker: number): Promise<void> => {
      for (let index = 0; !killed; index++) {
        try {
          // Each call stays a while at the provider, so the kill finds calls in flight.
          await invoke(hangar.client, "echo", "slow", { ms: 25 + ((worker * 7 + index) % 50) });
          answered += 1;
        } catch {
          return; // the connection died under this call
        }
      }
    };
    const burst = Array.from({ length: 8 }, (_, worker) => caller(worker));
    await waitFor(() => answered >= 50, 15_000, "50 calls of the burst to be answered");
    // One call that stays at the provider far longer than the rest of the test: in flight when
    // the kill comes, whatever the burst's callers were doing (the reads of the audit file below
    // block this process, and meanwhile their answers can all arrive and wait unread in the pipe).
    const pinned = invoke(hangar.client, "echo", "slow", { ms: 30_000 }).then(
      () => "answered",
      () => "cut off",
    );
    // Kill once some batches are surely on disk, while the burst still runs.
    const onDiskBeforeKill = await waitFor(() => {
      const count = readAudit(path, { type: "ToolInvocationCompleted" }).length;
      return count >= 20 ? count : undefined;
    }, 15_000, "20 completed calls on disk");
    process.kill(hangar.pid, "SIGKILL");
    killed = true;
    expect(await within(hangar.exited, 5_000, "the hangar to die")).toEqual({ code: null, signal: "SIGKILL" });
    await Promise.all(burst);
    // The kill came in the middle of the burst: a call in flight was cut off.
    expect(await pinned).toBe("cut off");

    expect(verifyAudit(path)).toMatchObject({ ok: true });
    const events = readAudit(path);
    expect(new Set(events.map((event) => event.instance)).size).toBe(1);
    // Every event up to the last written batch: each seq 1..n is a row, or a request folded into its answer's row.
    expectEveryEvent(events);
    const completed = events.filter((event) => event.type === "ToolInvocationCompleted");
    // Nothing that was on disk is lost (what was still in memory, at most one batch, may be).
    expect(completed.length).toBeGreaterThanOrEqual(onDiskBeforeKill);
    // A stored outcome always has its request: a row before it, or its arguments in the outcome's own row.
    for (const event of completed) expect(argumentsOf(events, event)).toMatchObject({ bytes: expect.any(Number) as number });
  });
});
