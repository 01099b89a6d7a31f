import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { createActor, setup, sendTo, type ActorRefFrom } from "xstate";
import type { SubprocessProviderSpec } from "../../src/config/types.js";
import type { CallOutcome, ToolCall } from "../../src/machines/call.js";
import type { CallDone, ConnectionCallEvent, ConnectionEvent, ConnectionInput, ProbeResult } from "../../src/machines/connection-protocol.js";
import { createSubprocessConnection, type SubprocessConnectionOptions } from "../../src/actors/subprocess-connection.js";
import { registeredProcessGroups, terminateAll } from "../../src/actors/process-registry.js";
import type { Logger, LogFields } from "../../src/observability/log.js";
import { LineRing } from "../../src/shared/line-ring.js";
import { testSpec } from "../helpers/specs.js";
import { waitFor } from "../helpers/wait.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

/** argv running a fixture with this very node binary (no PATH lookup involved). */
export function fixture(name: string, ...args: string[]): string[] {
  return [process.execPath, join(FIXTURES, name), ...args];
}

/** A provider spec for a fixture: the config defaults, with shorter timeouts for tests. */
export function makeSpec(overrides: Partial<SubprocessProviderSpec> & Pick<SubprocessProviderSpec, "command">): SubprocessProviderSpec {
  return testSpec({
    id: "fixture",
    cwd: FIXTURES,
    healthCheckIntervalS: 30,
    startupTimeoutS: 10,
    callTimeoutS: 10,
    shutdownGraceS: 2,
    ...overrides,
  });
}

type HarnessEvent = ConnectionEvent | ConnectionCallEvent | { type: "STOP" };

/**
 * A stand-in for the provider chart: invokes the connection while `running`, forwards CALLs to it,
 * records everything it sends back, and stops it (leaving `running`) on STOP — exactly how the
 * real chart owns the connection's lifetime.
 */
function harnessMachine(options: SubprocessConnectionOptions, record: (event: HarnessEvent) => void) {
  return setup({
    types: { events: {} as HarnessEvent, input: {} as ConnectionInput, context: {} as { input: ConnectionInput } },
    actors: { connection: createSubprocessConnection(options) },
  }).createMachine({
    context: ({ input }) => ({ input }),
    initial: "running",
    states: {
      running: {
        invoke: { id: "connection", src: "connection", input: ({ context }) => context.input },
        on: {
          CALL: { actions: sendTo("connection", ({ event }) => event) },
          PROBE: { actions: sendTo("connection", ({ event }) => event) },
          STOP: { target: "stopped" },
          "*": {
            actions: ({ event }) => {
              record(event);
            },
          },
        },
      },
      stopped: {
        on: {
          "*": {
            actions: ({ event }) => {
              record(event);
            },
          },
        },
      },
    },
  });
}

export interface Harness {
  actor: ActorRefFrom<ReturnType<typeof harnessMachine>>;
  events: ConnectionEvent[];
  /** Events that arrived after STOP: must stay empty. */
  eventsAfterStop: ConnectionEvent[];
  stderr: LineRing;
  call(tool: string, args?: Record<string, unknown>, extra?: Partial<Pick<ToolCall, "timeoutMs" | "signal" | "meta" | "onProgress">>): Promise<CallOutcome>;
  /** Sends PROBE; resolves with the reply. */
  probe(timeoutMs: number): Promise<ProbeResult>;
  /** How many times each probe was answered, in order (each must be exactly 1). */
  probeReplyCounts: number[];
  /** How many times each correlationId was answered (must be exactly 1). */
  replyCounts: Map<string, number>;
  waitForEvent<T extends ConnectionEvent["type"]>(type: T, timeoutMs?: number): Promise<Extract<ConnectionEvent, { type: T }>>;
  stop(): void;
}

let nextId = 0;

/** Every finished call the connection reported, in order: its CALL.DONEs and the calls of its CALLS.DONEs (answered in one tick). */
export function finishedCalls(events: ConnectionEvent[]): CallDone[] {
  return events.flatMap((event) => (event.type === "CALL.DONE" ? [event] : event.type === "CALLS.DONE" ? event.calls : []));
}

/** Keeps test output readable; tests that check logging pass their own logger. */
export const silentLog: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

export function startConnection(spec: SubprocessProviderSpec, options: SubprocessConnectionOptions = { log: silentLog }): Harness {
  const events: ConnectionEvent[] = [];
  const eventsAfterStop: ConnectionEvent[] = [];
  let stopped = false;
  const stderr = new LineRing(200);
  const replyCounts = new Map<string, number>();
  const probeReplyCounts: number[] = [];
  const machine = harnessMachine(options, (event) => {
    // The machine's own events (a CALL after STOP, STOP itself) are not the connection's.
    if (event.type === "CALL" || event.type === "CALLS" || event.type === "PROBE" || event.type === "STOP") return;
    (stopped ? eventsAfterStop : events).push(event);
  });
  const actor = createActor(machine, { input: { spec, stderr } });
  actor.start();
  return {
    actor,
    events,
    eventsAfterStop,
    stderr,
    replyCounts,
    probeReplyCounts,
    probe(timeoutMs) {
      const index = probeReplyCounts.push(0) - 1;
      return new Promise<ProbeResult>((resolve) => {
        actor.send({
          type: "PROBE",
          timeoutMs,
          reply: (result) => {
            probeReplyCounts[index] = (probeReplyCounts[index] ?? 0) + 1;
            resolve(result);
          },
        });
      });
    },
    call(tool, args, extra = {}) {
      const correlationId = `c${++nextId}`;
      return new Promise<CallOutcome>((resolve) => {
        actor.send({
          type: "CALL",
          call: {
            tool,
            arguments: args,
            correlationId,
            ...extra,
            reply: (outcome) => {
              replyCounts.set(correlationId, (replyCounts.get(correlationId) ?? 0) + 1);
              resolve(outcome);
            },
          },
        });
      });
    },
    waitForEvent: <T extends ConnectionEvent["type"]>(type: T, timeoutMs = 10_000) =>
      waitFor(() => events.find((event): event is Extract<ConnectionEvent, { type: T }> => event.type === type), timeoutMs, `event ${type}`),
    stop() {
      stopped = true;
      actor.send({ type: "STOP" });
    },
  };
}

/** Independent of the code under test: /proc says whether a pid is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

export function textOf(outcome: CallOutcome): string {
  if (outcome.status !== "result") throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  const first = outcome.result.content[0];
  if (first?.type !== "text") throw new Error(`expected text content, got ${JSON.stringify(outcome.result)}`);
  return first.text;
}

/**
 * For a test file: returns a `start` that tracks its harnesses, and registers an afterEach that
 * stops them and checks the connection contract (nothing after STOP, one reply per call and per
 * probe) and that no process group is left.
 */
export function trackedHarnesses(): (...args: Parameters<typeof startConnection>) => Harness {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const harness of harnesses.splice(0)) {
      harness.stop();
      expect(harness.eventsAfterStop).toEqual([]);
      for (const [id, count] of harness.replyCounts) expect(count, `replies to ${id}`).toBe(1);
      harness.probeReplyCounts.forEach((count, index) => {
        expect(count, `replies to probe ${index}`).toBe(1);
      });
    }
    await terminateAll(500);
    expect(registeredProcessGroups()).toEqual([]);
  });
  return (...args) => {
    const harness = startConnection(...args);
    harnesses.push(harness);
    return harness;
  };
}

export interface LogRecord {
  level: string;
  msg: string;
  fields: LogFields | undefined;
  at: number;
}

/** A logger that keeps what it is given, with performance.now() timestamps. */
export function captureLog(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const make = (bindings: LogFields): Logger => {
    const at =
      (level: string) =>
      (msg: string, fields?: LogFields): void => {
        records.push({ level, msg, fields: { ...bindings, ...fields }, at: performance.now() });
      };
    return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), records };
}
