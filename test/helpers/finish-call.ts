import type { CallOutcome, ToolCall } from "../../src/machines/call.js";
import type { CallDone } from "../../src/machines/connection-protocol.js";

/**
 * How a test connection finishes a call, keeping the contract every real connection keeps through
 * settleCall: a call that went out on its provider's serving lane is settled there first, and only
 * when the lane leaves it to the chart does its CALL.DONE go back (`send`).
 */
export function finishCall(call: ToolCall, outcome: CallOutcome, done: CallDone, send: (done: CallDone) => void): void {
  const answer = (): void => {
    call.reply(outcome);
  };
  const toChart = (): void => {
    answer();
    send(done);
  };
  if (call.lane === undefined) toChart();
  else call.lane.settle(done, answer, toChart);
}
