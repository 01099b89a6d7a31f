import type { Implementation, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ProviderSpec } from "../config/types.js";
import type { LineRing } from "../shared/line-ring.js";
import type { FailureKind } from "../shared/failure-kind.js";
import type { ToolCall } from "./call.js";

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
      tools: Tool[];
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
  | { type: "CALL.DONE"; correlationId: string; tool: string; kind: FailureKind; durationMs: number };

/** Sent by the provider actor to the connection. The connection replies through `call.reply`. */
export interface ConnectionCallEvent {
  type: "CALL";
  call: ToolCall;
}
