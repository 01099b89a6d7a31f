import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, invoke, jsonOf, textOf, useE2E, within } from "../helpers/cli.js";
import { expectEveryEvent, readAudit, verifyAudit } from "../helpers/audit-db.js";

/**
 * A real hangar whose calls come fast enough to start the audit writer thread: registry_history
 * still sees the newest call, shutdown writes every event and the process exits (no thread keeps
 * it alive), and the file verifies with the events in order.
 */
const e2e = useE2E();

describe("audit trail: the writer thread in a running hangar", () => {
  it("starts under load, answers registry_history with every call so far, and loses nothing at shutdown", async () => {
    const marker = e2e.marker();
    const path = join(e2e.dir(), `audit-${marker}.db`);
    // batch_ms 10: a batch of 5 events (500 a second) starts the thread.
    const hangar = await e2e.start({ providers: { echo: { command: fixtureCommand("faulty-server.js", marker) } }, audit: { path, batch_ms: 10, writer_thread: true } });
    const callers = 8;
    const perCaller = 40;
    const caller = async (worker: number): Promise<void> => {
      for (let index = 0; index < perCaller; index += 1) {
        const text = `${worker}-${index}`;
        expect(textOf(await invoke(hangar.client, "echo", "echo", { text }))).toBe(text);
      }
    };
    await Promise.all(Array.from({ length: callers }, (_, worker) => caller(worker)));
    await hangar.waitForStderr("the audit trail is written on its worker thread", 5_000);

    const last = await invoke(hangar.client, "echo", "echo", { text: "last" });
    expect(textOf(last)).toBe("last");
    const history = jsonOf(await callTool(hangar.client, "registry_history", { provider: "echo", limit: 1 })) as {
      calls: { type: string; data: Record<string, unknown> }[];
    };
    expect(history.calls.map((event) => event.type)).toEqual(["ToolInvocationCompleted"]);
    expect(history.calls[0]?.data.result).toMatchObject({ bytes: expect.any(Number) as number });

    await hangar.close();
    expect(await within(hangar.exited, 10_000, "the hangar to exit")).toEqual({ code: 0, signal: null });
    expect(hangar.stderr()).not.toContain("could not write");
    expect(verifyAudit(path)).toMatchObject({ ok: true });
    const events = readAudit(path);
    // Every event is there: a row, or a request folded into its answer's row. How many fold depends
    // on how many calls are answered within their batch, which is load (a loaded machine folded 139
    // of 320); that some do shows the thread folds, and expectEveryEvent accounts for every seq.
    expect(expectEveryEvent(events)).toBeGreaterThan(0);
    expect(events.filter((event) => event.type === "ToolInvocationCompleted")).toHaveLength(callers * perCaller + 1);
    expect(events.at(-1)?.type).toMatch(/^Provider/);
  });
});
