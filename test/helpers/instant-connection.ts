import type { CallOutcome } from "../../src/machines/call.js";
import { fromCallback } from "xstate";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { finishCall } from "./finish-call.js";

/** A connection that is READY at once (pid 7, no tools) and answers every call with an empty result. */
export const instantConnection = fromCallback<ConnectionCallEvent, ConnectionInput>(({ sendBack, receive }) => {
  queueMicrotask(() => {
    sendBack({ type: "CONNECTION.READY", tools: [], pid: 7, serverInfo: undefined, protocolVersion: undefined });
  });
  receive((event) => {
    for (const call of callsOf(event)) {
      const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [] } };
      finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 }, sendBack);
    }
  });
});
