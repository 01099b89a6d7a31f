import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import {
  details,
  eventually,
  fixtureCommand,
  invoke,
  textOf,
  useE2E,
  within,
  type E2E,
  type ProviderDetails,
  type RunningHangar,
  type StartOptions,
} from "./cli.js";
import { describeProcess, findProcesses, isRunning } from "./processes.js";

/**
 * Helpers for the resilience e2e tests (faults, recovery, breaker, chaos): faulty-server
 * providers, waiting on registry_details conditions, timing calls, and a seeded PRNG.
 */

/** Restart config for tests: short backoff, no growth beyond `maxS`. */
export function fastRestart(
  initialS = 0.2,
  options: { maxS?: number; maxRestarts?: number; windowS?: number; multiplier?: number } = {},
): Record<string, number> {
  return {
    initial_delay_s: initialS,
    max_delay_s: options.maxS ?? Math.max(initialS, 0.5),
    multiplier: options.multiplier ?? 1,
    max_restarts: options.maxRestarts ?? 5,
    window_s: options.windowS ?? 300,
  };
}

/**
 * A faulty-server provider config. `faults` are the FAULT_* switches (without the prefix is not
 * accepted: write them in full). The marker is on the command line and in the environment, so a
 * grandchild (whose command line does not carry it) is found as well.
 */
export function faultyProvider(marker: string, faults: Record<string, string | number> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    command: fixtureCommand("faulty-server.js", marker),
    env: { E2E_MARKER: marker, ...Object.fromEntries(Object.entries(faults).map(([key, value]) => [key, String(value)])) },
    ...extra,
  };
}

/** Polls registry_details until `accept` holds; resolves with those details. */
export function untilDetails(
  client: Client,
  provider: string,
  accept: (info: ProviderDetails) => boolean,
  timeoutMs = 5_000,
  what = `provider ${provider} to reach the expected state`,
): Promise<ProviderDetails> {
  let last: ProviderDetails | undefined;
  return eventually(
    async () => {
      last = await details(client, provider);
      return accept(last) ? last : undefined;
    },
    timeoutMs,
    what,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nlast details: ${JSON.stringify(last, null, 2)}`);
  });
}

/** Waits for a provider to be READY (optionally with a pid other than `notPid`). */
export function untilReady(client: Client, provider: string, timeoutMs = 8_000, notPid?: number): Promise<ProviderDetails> {
  return untilDetails(
    client,
    provider,
    (info) => info.state === "READY" && info.pid !== undefined && info.pid !== notPid,
    timeoutMs,
    `provider ${provider} to be READY${notPid === undefined ? "" : ` with a pid other than ${notPid}`}`,
  );
}

/** The value of a promise and how long it took to settle, in milliseconds. */
export async function timed<T>(promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - started };
}

/** A result's `_meta["mcp-hangar/failure"]`, or undefined for a result that is not the hangar's failure. */
export function failureKind(result: CallToolResult): string | undefined {
  const kind = result._meta?.["mcp-hangar/failure"];
  return typeof kind === "string" ? kind : undefined;
}

/** mulberry32: a small seeded PRNG, so a chaos run can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A hangar with the provider under test (`bad`) and a well-behaved neighbour (`good`), both marked. */
export interface WithNeighbour {
  hangar: RunningHangar;
  client: Client;
  /** Marker of the provider under test (command line and environment). */
  marker: string;
  neighbourMarker: string;
  /** The neighbour's pid: it must never change (a fault elsewhere must not touch it). */
  neighbourPid: number;
  /** The neighbour answers promptly, from the same process as before, and is READY. */
  expectNeighbourAnswers: (text?: string) => Promise<void>;
  /** Closes the hangar (stdin EOF): it exits with 0 within `boundMs`, and no marked process is left. */
  closeAndExpectNoProcesses: (boundMs?: number) => Promise<void>;
}

/** What the fault-injection suites (faults, faults-io, faults-health, recovery, breaker) start from. */
export interface FaultSuite {
  e2e: E2E;
  /** A hangar of this suite with `bad` and a healthy neighbour (see startWithNeighbour). */
  start: (bad: (marker: string) => Record<string, unknown>, options?: StartOptions) => Promise<WithNeighbour>;
}

/** The hangars of one fault-injection suite (cleaned up after each test, like useE2E's). */
export function useFaultSuite(): FaultSuite {
  const e2e = useE2E();
  return { e2e, start: (bad, options) => startWithNeighbour(e2e, bad, options) };
}

/**
 * Starts a hangar with `bad` (its config built from its marker) and a healthy faulty-server
 * `good`, already started, so that the test can check that the neighbour keeps answering.
 */
async function startWithNeighbour(
  e2e: E2E,
  bad: (marker: string) => Record<string, unknown>,
  options?: StartOptions,
): Promise<WithNeighbour> {
  const marker = e2e.marker();
  const neighbourMarker = e2e.marker();
  const hangar = await e2e.start(
    { providers: { bad: bad(marker), good: faultyProvider(neighbourMarker, {}, { shutdown_timeout_s: 1 }) } },
    options,
  );
  const neighbourPid = Number(textOf(await invoke(hangar.client, "good", "pid")));
  expect(neighbourPid).toBeGreaterThan(0);
  const pair: WithNeighbour = {
    hangar,
    client: hangar.client,
    marker,
    neighbourMarker,
    neighbourPid,
    expectNeighbourAnswers: (text) => expectNeighbourAnswers(pair, text),
    closeAndExpectNoProcesses: (boundMs) => closeAndExpectNoProcesses(pair, boundMs),
  };
  return pair;
}

async function expectNeighbourAnswers(pair: WithNeighbour, text = "still here"): Promise<void> {
  const { value, ms } = await timed(invoke(pair.client, "good", "echo", { text }));
  expect(textOf(value)).toBe(text);
  expect(ms).toBeLessThan(2_000);
  const info = await details(pair.client, "good");
  expect(info.state).toBe("READY");
  expect(info.pid).toBe(pair.neighbourPid);
  expect(isRunning(pair.hangar.pid)).toBe(true);
}

async function closeAndExpectNoProcesses(pair: WithNeighbour, boundMs = 8_000): Promise<void> {
  pair.hangar.endStdin();
  const exit = await within(pair.hangar.exited, boundMs, "the hangar to exit after stdin EOF");
  expect(exit).toEqual({ code: 0, signal: null });
  // The hangar waits for every process group to be gone before it exits.
  expect(findProcesses(pair.marker).map(describeProcess)).toEqual([]);
  expect(findProcesses(pair.neighbourMarker).map(describeProcess)).toEqual([]);
}
