import { fromPromise } from "xstate";
import type { ProbeResult } from "../machines/connection-protocol.js";
import type { HealthProbeInput } from "../machines/provider.js";

/** Extra time the connection gets beyond the probe's own timeout before the probe gives up on it. */
const ANSWER_SLACK_MS = 1_000;

/**
 * The provider chart's health probe: asks the provider actor (which asks its connection) to
 * ping the provider process, and resolves with the outcome. The connection owns the MCP session and bounds the probe by
 * `timeoutMs`; the timer here only guards against a connection that never answers at all.
 */
export const healthProbe = fromPromise<ProbeResult, HealthProbeInput>(({ input, signal }) => {
  return new Promise<ProbeResult>((resolve) => {
    const timer = setTimeout(() => {
      resolve({ ok: false, message: `the connection did not answer the probe within ${input.timeoutMs + ANSWER_SLACK_MS} ms` });
    }, input.timeoutMs + ANSWER_SLACK_MS);
    const settle = (result: ProbeResult): void => {
      clearTimeout(timer);
      resolve(result);
    };
    // A probe stopped with its state (the provider stopped) must not keep a timer alive.
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
    });
    input.provider.send({ type: "PROBE.REQUEST", timeoutMs: input.timeoutMs, reply: settle });
  });
});
