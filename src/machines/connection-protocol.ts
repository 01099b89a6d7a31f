import type { CallToolResult, Implementation, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AnyEventObject, CallbackLogicFunction } from "xstate";
import type { ProviderSpec } from "../config/types.js";
import type { LineRing } from "../shared/line-ring.js";
import type { FailureKind } from "../shared/failure-kind.js";
import type { LaneCount, ToolCall } from "./call.js";

/**
 * The contract between the provider chart and its invoked `connection` actor. The chart knows
 * only these messages; what runs behind them (a subprocess today, a container or a remote
 * session later) is injected with `machine.provide({ actors: { connection } })`.
 */
export interface ConnectionInput {
  spec: ProviderSpec;
  /** Outlives the connection so errors and registry_details can show what the provider said. */
  stderr: LineRing;
}

/** Sent by the connection to the provider actor. */
export type ConnectionEvent =
  | {
      type: "CONNECTION.READY";
      /**
       * The provider's listed tools; undefined when it is not listed yet because its predefined
       * tools let calls go first (a CONNECTION.TOOLS_CHANGED brings the list).
       */
      tools: Tool[] | undefined;
      pid: number | undefined;
      serverInfo: Implementation | undefined;
      protocolVersion: string | undefined;
    }
  | { type: "CONNECTION.TOOLS_CHANGED"; tools: Tool[] }
  | {
      /** The connection is unusable: it failed to start, or the process/transport went away. */
      type: "CONNECTION.FAILED";
      kind: "start_failed" | "crash" | "transport";
      message: string;
    }
  | {
      type: "CALL.DONE";
      correlationId: string;
      tool: string;
      kind: FailureKind;
      durationMs: number;
      principal?: string;
      /** The provider's result, by reference, for observers (the audit trail hashes it). */
      toolResult?: CallToolResult;
      /** Set for a call that went out on the provider's serving lane (see LaneCount); absent for the chart's own. */
      laned?: LaneCount;
    }
  | {
      /**
       * Several calls the provider answered (ok or tool_error) in one tick, in the order they
       * finished: one step of the provider chart instead of one per call (see ConnectionOutbox).
       * Anything else a connection learns of a call goes as its own CALL.DONE.
       */
      type: "CALLS.DONE";
      calls: SucceededCallDone[];
    };

/** One finished call, as the connection tells the provider actor. */
export type CallDone = Extract<ConnectionEvent, { type: "CALL.DONE" }>;

/** A call the provider answered (its result may still be the tool's own error). */
export type SucceededCallDone = CallDone & { kind: "ok" | "tool_error" };

/** How one health probe went: MCP ping, or tools/list when the provider does not answer ping. */
export type ProbeResult =
  | { ok: true; method: "ping" | "tools/list"; durationMs: number }
  | { ok: false; message: string };

/**
 * Sent to the connection. CALL replies through `call.reply` (and CALL.DONE); CALLS is several
 * calls handed over in one step of the provider chart (an INVOKE.BATCH), each taken as its own
 * CALL, in order — one event to the connection actor instead of one per call (each costs xstate a
 * relay, a mailbox turn and a snapshot update). PROBE replies through `reply` within `timeoutMs`,
 * exactly once, and never counts as a call (it does not touch the idle timer or the breaker).
 */
export type ConnectionCallEvent =
  | { type: "CALL"; call: ToolCall }
  | { type: "CALLS"; calls: readonly ToolCall[] }
  | { type: "PROBE"; timeoutMs: number; reply: (result: ProbeResult) => void };

/** The body of a connection actor (`fromCallback(body)`): what a mode brings to the chart. */
export type ConnectionCallback = CallbackLogicFunction<ConnectionCallEvent, AnyEventObject, ConnectionInput>;

/** The calls a CALL or CALLS hands over, in order (none for anything else). */
export function callsOf(event: ConnectionCallEvent | { type: string }): readonly ToolCall[] {
  if (event.type === "CALL") return [(event as Extract<ConnectionCallEvent, { type: "CALL" }>).call];
  if (event.type === "CALLS") return (event as Extract<ConnectionCallEvent, { type: "CALLS" }>).calls;
  return [];
}
