import { ErrorCode, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallOutcome } from "../machines/call.js";
import { redactor } from "../shared/redaction.js";
import { RpcError } from "./rpc-error.js";

/**
 * Turns a call's outcome into what the client gets. A provider's result passes through untouched
 * (never re-wrapped as JSON text). The hangar's own failures become `isError` results the model
 * can read — with the provider's last stderr lines when they help — except a refused call
 * (unknown provider or tool), which is a JSON-RPC error.
 */
export function outcomeToResult(outcome: CallOutcome): CallToolResult {
  switch (outcome.status) {
    case "result":
      return outcome.result;
    case "rpc_error":
      throw new RpcError(outcome.code, outcome.message, outcome.data);
    case "failure": {
      if (outcome.kind === "rejected") throw new RpcError(ErrorCode.InvalidParams, outcome.message);
      return failureResult(outcome.kind, outcome.message, outcome.stderrTail, outcome.meta);
    }
  }
}

export function failureResult(kind: string, message: string, stderrTail?: string[], meta?: Record<string, unknown>): CallToolResult {
  let text = message;
  if (stderrTail && stderrTail.length > 0) text += `\n\nLast stderr lines of the provider:\n${stderrTail.join("\n")}`;
  return {
    content: [{ type: "text", text: redactor.redact(text) }],
    isError: true,
    _meta: { ...meta, "mcp-hangar/failure": kind },
  };
}
