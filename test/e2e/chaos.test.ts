import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, details, eventually, textOf, useE2E, within } from "../helpers/cli.js";
import { describeProcess, findProcesses, isRunning, killIfAlive } from "../helpers/processes.js";
import { failureKind, faultyProvider, seededRandom } from "../helpers/resilience.js";

/**
 * A bounded chaos run: four misbehaving providers, several clients' worth of random calls (some
 * concurrent, some slower than their timeout), and a monkey that kill -9s provider processes and
 * stops and starts providers at random. Every call must be answered — a result or an error of a
 * known kind — within a bound (never a hang), the hangar must stay up and serve every provider
 * again at the end, and once it has exited no provider process may be left.
 *
 * CHAOS_S sets the duration (default 30 s), CHAOS_SEED replays a run (the seed is in the test's
 * name and every failure message), CHAOS_VERBOSE=1 prints the run's tally.
 */
const e2e = useE2E();

const DURATION_S = Number(process.env.CHAOS_S ?? 30);
const SEED = process.env.CHAOS_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.CHAOS_SEED);
/** A call may have to wait for a start (startup_timeout_s 3) and then its own timeout: anything past this is a hang. */
const CALL_BOUND_MS = 10_000;
const WORKERS = 3;
const PROVIDERS = ["steady", "crashy", "sluggish", "noisy"] as const;
type ProviderId = (typeof PROVIDERS)[number];
/** Failure kinds a call may legitimately end with here (never `rejected`: every name is valid). */
const EXPECTED_FAILURES = new Set(["crash", "timeout", "transport", "start_failed", "unavailable", "cancelled"]);
const STATES = new Set(["COLD", "INITIALIZING", "READY", "DEGRADED", "RECOVERING", "DEAD"]);

interface Tally {
  calls: number;
  answered: number;
  kills: number;
  stops: number;
  starts: number;
  outcomes: Map<string, number>;
  problems: string[];
}

function common(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    call_timeout_s: 0.5,
    startup_timeout_s: 3,
    shutdown_timeout_s: 0.3,
    health_check_interval_s: 0.3,
    max_consecutive_failures: 2,
    circuit_breaker: { failure_threshold: 4, reset_timeout_s: 0.5, half_open_max_calls: 1 },
    restart: { initial_delay_s: 0.1, max_delay_s: 0.5, multiplier: 2, max_restarts: 6, window_s: 10 },
    ...extra,
  };
}

describe("chaos", () => {
  it(`survives ${DURATION_S} s of random calls, hangs and kills (seed ${SEED})`, { timeout: (DURATION_S + 60) * 1000 }, async () => {
    const markers = Object.fromEntries(PROVIDERS.map((id) => [id, e2e.marker()])) as Record<ProviderId, string>;
    const hangar = await e2e.start({
      providers: {
        steady: faultyProvider(markers.steady, {}, common({ idle_ttl_s: 2 })),
        crashy: faultyProvider(markers.crashy, { FAULT_CRASH_ON_CALL: 6 }, common()),
        sluggish: faultyProvider(markers.sluggish, { FAULT_SLOW_MS: 150, FAULT_GRANDCHILD: 1 }, common()),
        noisy: faultyProvider(
          markers.noisy,
          { FAULT_GARBAGE: 1, FAULT_STDERR_FLOOD: 1, FAULT_STDERR_FLOOD_LINES: 5, FAULT_IGNORE_SIGTERM: 1, FAULT_PING_FAIL_AFTER: 3, FAULT_PING_RECOVER_AFTER: 3 },
          common(),
        ),
      },
    });
    const { client } = hangar;
    const tally: Tally = { calls: 0, answered: 0, kills: 0, stops: 0, starts: 0, outcomes: new Map(), problems: [] };
    const note = (outcome: string): void => {
      tally.outcomes.set(outcome, (tally.outcomes.get(outcome) ?? 0) + 1);
    };
    const fail = (problem: string): void => {
      tally.problems.push(`[${((performance.now() - startedAt) / 1000).toFixed(1)} s] ${problem}`);
    };
    const startedAt = performance.now();
    const deadline = startedAt + DURATION_S * 1000;
    let sequence = 0;

    /** One bounded registry call; a hang or a JSON-RPC error is a problem. */
    async function bounded(what: string, request: () => Promise<CallToolResult>): Promise<CallToolResult | undefined> {
      tally.calls++;
      try {
        const result = await within(request(), CALL_BOUND_MS, what);
        tally.answered++;
        return result;
      } catch (error) {
        fail(`${what}: ${String(error)}`);
        return undefined;
      }
    }

    /** registry_invoke of one tool, checked: the right answer, or an error of a known kind. */
    async function call(random: () => number, provider: ProviderId): Promise<void> {
      const id = ++sequence;
      const roll = random();
      let expected: string;
      let args: Record<string, unknown>;
      let tool: string;
      let timeoutS: number | undefined;
      if (roll < 0.55) {
        tool = "echo";
        expected = `chaos ${id}`;
        args = { text: expected };
      } else if (roll < 0.85) {
        // Mostly within the 0.5 s timeout, sometimes beyond it (a hang from the caller's view).
        const ms = Math.floor(random() * 900);
        tool = "slow";
        args = { ms };
        expected = `slept ${ms}`;
      } else {
        const ms = 2_000 + Math.floor(random() * 3_000);
        tool = "slow";
        args = { ms };
        expected = `slept ${ms}`;
        timeoutS = random() < 0.5 ? 0.2 + random() * 0.5 : undefined;
      }
      const what = `call #${id} ${provider}/${tool} ${JSON.stringify(args)}${timeoutS === undefined ? "" : ` timeout_s ${timeoutS.toFixed(2)}`}`;
      const result = await bounded(what, () =>
        callTool(client, "registry_invoke", { provider, tool, arguments: args, ...(timeoutS === undefined ? {} : { timeout_s: timeoutS }) }, { timeout: 60_000 }),
      );
      if (result === undefined) return;
      const kind = failureKind(result);
      if (result.isError !== true) {
        note("ok");
        // An answer meant for another call would be cross-talk between requests.
        if (textOf(result) !== expected) fail(`${what}: answered ${JSON.stringify(textOf(result))}, expected ${JSON.stringify(expected)}`);
      } else if (kind !== undefined && EXPECTED_FAILURES.has(kind)) {
        note(kind);
      } else {
        fail(`${what}: unexpected error ${JSON.stringify(result)}`);
      }
    }

    async function worker(index: number): Promise<void> {
      const random = seededRandom(SEED + index);
      const pick = (): ProviderId => PROVIDERS[Math.floor(random() * PROVIDERS.length)] ?? "steady";
      while (performance.now() < deadline) {
        if (random() < 0.15) {
          // A burst of concurrent calls.
          const size = 2 + Math.floor(random() * 5);
          await Promise.all(Array.from({ length: size }, () => call(random, pick())));
        } else {
          await call(random, pick());
        }
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      }
    }

    /** Kills, stops, starts and inspections at random. */
    async function monkey(): Promise<void> {
      const random = seededRandom(SEED + 1_000);
      while (performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 150 + Math.floor(random() * 500)));
        const provider = PROVIDERS[Math.floor(random() * PROVIDERS.length)] ?? "steady";
        const roll = random();
        if (roll < 0.55) {
          // kill -9 of one of the provider's processes (leader or grandchild).
          const pids = findProcesses(markers[provider]);
          const pid = pids[Math.floor(random() * pids.length)];
          if (pid === undefined) continue;
          if (killIfAlive(pid)) tally.kills++;
        } else if (roll < 0.65) {
          tally.stops++;
          await bounded(`registry_stop ${provider}`, () => callTool(client, "registry_stop", { provider }, { timeout: 60_000 }));
        } else if (roll < 0.8) {
          // Revives a DEAD provider, or starts a COLD one; may fail while it crashes.
          tally.starts++;
          await bounded(`registry_start ${provider}`, () => callTool(client, "registry_start", { provider }, { timeout: 60_000 }));
        } else {
          const started = performance.now();
          const info = await within(details(client, provider), CALL_BOUND_MS, `registry_details ${provider}`).catch((error: unknown) => {
            fail(String(error));
            return undefined;
          });
          if (info !== undefined && !STATES.has(info.state)) fail(`registry_details ${provider}: unknown state ${info.state}`);
          if (performance.now() - started > 2_000) fail(`registry_details ${provider} took ${Math.round(performance.now() - started)} ms`);
          await bounded("registry_status", () => callTool(client, "registry_status", {}, { timeout: 60_000 }));
        }
      }
    }

    const report = (): string => {
      const outcomes = [...tally.outcomes].map(([kind, count]) => `${kind} ${count}`).join(", ");
      return `chaos seed ${SEED} (replay: CHAOS_SEED=${SEED} CHAOS_S=${DURATION_S}): ${tally.calls} requests, ${tally.answered} answered (${outcomes}); ${tally.kills} kills, ${tally.stops} stops, ${tally.starts} starts`;
    };

    try {
      await Promise.all([...Array.from({ length: WORKERS }, (_, index) => worker(index)), monkey()]);
      expect(tally.problems, report()).toEqual([]);
      expect(tally.answered, report()).toBe(tally.calls);
      expect(isRunning(hangar.pid), report()).toBe(true);
      expect(tally.outcomes.get("ok") ?? 0, report()).toBeGreaterThan(0);

      // Calm after the storm: every provider serves again (registry_start revives a DEAD one).
      for (const provider of PROVIDERS) {
        await eventually(
          async () => {
            await within(callTool(client, "registry_start", { provider }, { timeout: 60_000 }), CALL_BOUND_MS, `registry_start ${provider}`);
            const answer = await within(
              callTool(client, "registry_invoke", { provider, tool: "echo", arguments: { text: "calm" } }, { timeout: 60_000 }),
              CALL_BOUND_MS,
              `echo on ${provider}`,
            );
            return answer.isError !== true && textOf(answer) === "calm";
          },
          15_000,
          `${provider} to answer again after the chaos`,
        );
      }

      // A last storm cut short by the client leaving: a burst of calls, a kill, and stdin EOF at once.
      const random = seededRandom(SEED + 2_000);
      const lastBurst = Array.from({ length: 12 }, (_, index) => {
        const provider = PROVIDERS[index % PROVIDERS.length] ?? "steady";
        return callTool(client, "registry_invoke", { provider, tool: "slow", arguments: { ms: Math.floor(random() * 3_000) }, timeout_s: 5 }, { timeout: 60_000 });
      });
      const victim = findProcesses(markers.crashy)[0];
      // It may have exited since the scan (the monkey's last kill, a restart): then there is nothing to kill.
      if (victim !== undefined) killIfAlive(victim);
      hangar.endStdin();
      // The hangar exits cleanly within its deadline (longest shutdown_timeout_s + 1 s, plus slack),
      // answering what was pending first, and nothing of any provider is left.
      const exit = await within(hangar.exited, 8_000, "the hangar to exit after the chaos");
      expect(exit, report()).toEqual({ code: 0, signal: null });
      const settled = await within(Promise.allSettled(lastBurst), 2_000, "the last burst to settle");
      const unanswered = settled.filter((outcome) => outcome.status === "rejected");
      expect(unanswered.map((outcome) => String(outcome.reason)), report()).toEqual([]);
      const left = PROVIDERS.flatMap((provider) => findProcesses(markers[provider]));
      expect(left.map(describeProcess), report()).toEqual([]);
      if (process.env.CHAOS_VERBOSE === "1") process.stderr.write(`${report()}\n`);
    } catch (error) {
      throw new Error(`${report()}\n${tally.problems.slice(0, 20).join("\n")}\n${String(error)}\n--- hangar stderr (tail) ---\n${hangar.stderr().slice(-4_000)}`);
    }
  });
});
