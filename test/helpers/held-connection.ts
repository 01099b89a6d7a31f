import { fromCallback } from "xstate";
import type { ProviderSpec } from "../../src/config/types.js";
import type { CallOutcome } from "../../src/machines/call.js";
import { callsOf, type ConnectionCallEvent, type ConnectionInput } from "../../src/machines/connection-protocol.js";
import { finishCall } from "./finish-call.js";

/**
 * A connection that is ready at once with one tool, `who`, which answers with `answer(spec)` (so a
 * test can tell providers, or an old spec from a new one, apart). A call of `hold` is answered
 * only when the test calls the function pushed to `held`. `started` records each start.
 */
export function heldConnection(held: (() => void)[], started: string[], answer: (spec: ProviderSpec) => string) {
  return fromCallback<ConnectionCallEvent, ConnectionInput>(({ input, sendBack, receive }) => {
    started.push(answer(input.spec));
    queueMicrotask(() => {
      sendBack({ type: "CONNECTION.READY", tools: [{ name: "who", inputSchema: { type: "object" } }], pid: 1, serverInfo: undefined, protocolVersion: undefined });
    });
    receive((event) => {
      for (const call of callsOf(event)) {
        const reply = (): void => {
          const outcome: CallOutcome = { status: "result", kind: "ok", result: { content: [{ type: "text", text: answer(input.spec) }] } };
          finishCall(call, outcome, { type: "CALL.DONE", correlationId: call.correlationId, tool: call.tool, kind: "ok", durationMs: 0 }, sendBack);
        };
        if (call.tool === "hold") held.push(reply);
        else reply();
      }
    });
  });
}

/** The text of a call's first content item. */
export function outcomeText(outcome: CallOutcome): string | undefined {
  if (outcome.status !== "result") return undefined;
  const first = outcome.result.content[0];
  return first?.type === "text" ? first.text : undefined;
}
