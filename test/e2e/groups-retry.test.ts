import { describe, expect, it } from "vitest";
import { details, invoke, textOf, useE2E } from "../helpers/cli.js";
import { memberOf, retriedOf } from "../helpers/groups.js";
import { failureKind, faultyProvider } from "../helpers/resilience.js";

/**
 * Retry on another member, over real processes that crash in the middle of a call: a tool that
 * says it is read-only is retried and succeeds; a tool without hints is never run twice.
 */
const e2e = useE2E();

describe("group retry rules", () => {
  it("a crash during a readOnlyHint tool call is retried on another member and succeeds", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        // The first tools/call kills this member; its tools say they are read-only.
        crashy: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 1, FAULT_READ_ONLY: 1 }),
        steady: faultyProvider(marker, { FAULT_READ_ONLY: 1 }),
        pool: { mode: "group", strategy: "round_robin", members: ["crashy", "steady"], retry_on_member_failure: "auto" },
      },
    });
    const { client } = hangar;
    const result = await invoke(client, "pool", "echo", { text: "twice is fine" });
    expect(result.isError).toBeFalsy();
    // The content is the member's own; _meta says who answered and what was retried.
    expect(result.content).toEqual([{ type: "text", text: "twice is fine" }]);
    expect(memberOf(result)).toBe("steady");
    const retried = retriedOf(result);
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ member: "crashy", kind: "crash" });
    expect(retried[0]?.message).toContain("exit");
    expect((await details(client, "crashy")).last_error?.kind).toBe("crash");
  });

  it("a crash during a tool without hints is not retried: the caller gets the error", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        crashy: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 1 }),
        steady: faultyProvider(marker),
        pool: { mode: "group", strategy: "round_robin", members: ["crashy", "steady"] },
      },
    });
    const { client } = hangar;
    const result = await invoke(client, "pool", "echo", { text: "only once" });
    expect(result.isError).toBe(true);
    expect(failureKind(result)).toBe("crash");
    expect(memberOf(result)).toBe("crashy");
    expect(retriedOf(result)).toEqual([]);
    expect(textOf(result)).toContain("faulty-server: crashing");
    // The other member never saw the call: it was never even started.
    const steady = await details(client, "steady");
    expect(steady.state).toBe("COLD");
    expect(steady.calls).toBe(0);
  });

  it("retry_on_member_failure: always retries a tool without hints; never retries nothing", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        crashy: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 1 }),
        crashy2: faultyProvider(marker, { FAULT_CRASH_ON_CALL: 1, FAULT_READ_ONLY: 1 }),
        steady: faultyProvider(marker, { FAULT_READ_ONLY: 1 }),
        always: { mode: "group", members: ["crashy", "steady"], retry_on_member_failure: "always" },
        never: { mode: "group", members: ["crashy2", "steady"], retry_on_member_failure: "never" },
      },
    });
    const { client } = hangar;
    const retried = await invoke(client, "always", "echo", { text: "again" });
    expect(textOf(retried)).toBe("again");
    expect(retriedOf(retried).map((r) => r.member)).toEqual(["crashy"]);
    const notRetried = await invoke(client, "never", "echo", { text: "once" });
    expect(failureKind(notRetried)).toBe("crash");
    expect(memberOf(notRetried)).toBe("crashy2");
  });
});
