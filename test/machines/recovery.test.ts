import type { CallOutcome } from "../../src/machines/call.js";
import { describe, expect, it } from "vitest";
import { fromCallback } from "xstate";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { backoffDelayMs, restartsInWindow } from "../../src/machines/sagas/backoff.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import type { StampedDomainEvent } from "../../src/shared/domain-events.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";
import { finishCall } from "../helpers/finish-call.js";

/** Each connection becomes ready at once; `crash()` makes the current one die like a killed process. */
function crashableConnection(control: { starts: number; crash: () => void }) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
    control.starts += 1;
    let alive = true;
    control.crash = () => {
      if (!alive) return;
      alive = false;
      sendBack({ type: "CONNECTION.FAILED", kind: "crash", message: "provider 'p' was killed by SIGKILL" });
    };
    queueMicrotask(() => {
      if (alive) sendBack({ type: "CONNECTION.READY", tools: [], pid: 100 + control.starts, serverInfo: undefined, protocolVersion: undefined });
    });
    receive((event) => {
      for (const call of callsOf(event)) {
        const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [] } };
        finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 }, sendBack);
      }
    });
    return () => {
      alive = false;
    };
  });
}

function hangar(restart: { initialDelayS: number; maxRestarts: number }) {
  const control: { starts: number; crash: () => void } = { starts: 0, crash: () => undefined };
  const runtime = new HangarRuntime(
    {
      source: "test.yaml",
      expose: "both",
      providers: [testSpec({ id: "p", restart: { ...restart, maxDelayS: 1, multiplier: 2, windowS: 60 } })],
    },
    { connection: crashableConnection(control) },
  );
  const events: StampedDomainEvent[] = [];
  runtime.events.subscribe((event) => events.push(event));
  runtime.start();
  return { runtime, control, events };
}

describe("recovery saga and supervisor restart", () => {
  it("a crash fails fast during the backoff, then a fresh actor under the same systemId starts with the old history", async () => {
    const { runtime, control, events } = hangar({ initialDelayS: 0.2, maxRestarts: 3 });
    await runtime.invoke("p", "t", {});
    control.crash();
    expect(runtime.view("p")?.state).toBe("RECOVERING");
    const during = await runtime.invoke("p", "t", {});
    expect(during).toMatchObject({ status: "failure", kind: "unavailable" });
    expect(during.status === "failure" && during.message).toMatch(/crashed .*SIGKILL.*restarts in \ds/);

    await waitFor(() => runtime.view("p")?.state === "READY", 3000, "restarted provider READY");
    const view = runtime.view("p");
    expect(control.starts).toBe(2);
    expect(view?.stats.calls).toBe(1); // carried over from the crashed actor
    expect(view?.recovery.restartCount).toBe(1);
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["RecoveryScheduled", "ProviderRestarted", "ProviderStarted"]),
    );
    expect(events.find((event) => event.type === "RecoveryScheduled")?.systemId).toBe("saga:recovery:p");
    await expect(runtime.invoke("p", "t", {})).resolves.toMatchObject({ status: "result" });
    await runtime.shutdown();
  });

  it("over the restart budget the provider is DEAD, answers at once, and registry_start revives it", async () => {
    const { runtime, control, events } = hangar({ initialDelayS: 0.01, maxRestarts: 2 });
    await runtime.startProvider("p");
    for (let restart = 1; restart <= 2; restart++) {
      control.crash();
      await waitFor(() => runtime.view("p")?.state === "READY" && runtime.view("p")?.recovery.restartCount === restart, 3000, `restart ${restart}`);
    }
    control.crash();
    await waitFor(() => runtime.view("p")?.state === "DEAD", 3000, "DEAD");
    expect(events.some((event) => event.type === "ProviderDied")).toBe(true);
    const refused = await runtime.invoke("p", "t", {});
    expect(refused.status === "failure" && refused.message).toMatch(/is DEAD: .*crashed 3 times/);
    await expect(runtime.startProvider("p")).resolves.toEqual({ ok: true });
    expect(runtime.view("p")?.state).toBe("READY");
    await runtime.shutdown();
  });

  it("a manual stop during the backoff cancels the restart", async () => {
    const { runtime, control } = hangar({ initialDelayS: 0.1, maxRestarts: 3 });
    await runtime.startProvider("p");
    control.crash();
    await runtime.stopProvider("p");
    expect(runtime.view("p")?.state).toBe("COLD");
    // Long enough for the cancelled restart to have happened, were it still scheduled.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runtime.view("p")?.state).toBe("COLD");
    expect(control.starts).toBe(1);
    await runtime.shutdown();
  });
});

describe("backoff arithmetic", () => {
  const restart = { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 };

  it("grows exponentially with ±20 % jitter, capped at max_delay_s", () => {
    expect(backoffDelayMs(restart, 0, 0.5)).toBe(1000);
    expect(backoffDelayMs(restart, 3, 0.5)).toBe(8000);
    expect(backoffDelayMs(restart, 3, 0)).toBe(6400);
    expect(backoffDelayMs(restart, 3, 1)).toBe(9600);
    expect(backoffDelayMs(restart, 10, 1)).toBe(60_000);
  });

  it("counts only the restarts within window_s", () => {
    expect(restartsInWindow([1_000, 200_000, 290_000], 300, 400_000)).toBe(2);
  });
});
