import { afterEach } from "vitest";
import { healthProbe } from "../../src/actors/health-probe.js";
import { createProviderConnection } from "../../src/actors/provider-connection.js";
import { pendingTeardowns } from "../../src/actors/teardown-registry.js";
import type { ProviderSpec } from "../../src/config/types.js";
import type { CallOutcome } from "../../src/machines/call.js";
import type { LogFields, Logger } from "../../src/observability/log.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";

/** A logger that keeps every line (message and fields), to check what reaches the log. */
export function capturingLog(lines: string[]): Logger {
  const write = (message: string, fields?: LogFields): void => {
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`);
  };
  const log: Logger = { debug: write, info: write, warn: write, error: write, child: () => log };
  return log;
}

/**
 * In-process hangars with the production connection (the mode picks subprocess, container or
 * remote), each shut down after its test — which awaits container removals and session DELETEs.
 */
export function useModeRuntimes(): (spec: ProviderSpec, logLines?: string[]) => HangarRuntime {
  const runtimes: HangarRuntime[] = [];
  afterEach(async () => {
    await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
  });
  return (spec, logLines = []) => {
    const runtime = new HangarRuntime(
      { source: `${spec.mode}.yaml`, expose: "both", providers: [spec] },
      { connection: createProviderConnection({ log: capturingLog(logLines) }), healthProbe, awaitProcessesGone: pendingTeardowns },
    );
    runtimes.push(runtime);
    return runtime.start();
  };
}

/** The first text item of a successful call. */
export function resultText(outcome: CallOutcome): string {
  if (outcome.status !== "result") throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  const first = outcome.result.content[0];
  return first?.type === "text" ? first.text : JSON.stringify(first);
}
