import type { Logger } from "../log.js";
import type { TracingSettings } from "./config.js";
import type { RunningTracing } from "./sdk.js";

export type { RunningTracing };

/** How long shutdown waits for the last spans and scores to go out. */
const FLUSH_DEADLINE_MS = 2_000;

/**
 * Starts tracing when the settings ask for it: the SDK is imported here, on demand, never at
 * start-up otherwise. A tracing set-up that fails is logged and the hangar serves without it —
 * observing must never stop the hangar from working.
 */
export async function startTracing(settings: TracingSettings | undefined, log: Logger): Promise<RunningTracing | undefined> {
  if (settings === undefined) return undefined;
  try {
    const { startTracingSdk } = await import("./sdk.js");
    return await startTracingSdk(settings, log);
  } catch (error) {
    log.error("tracing could not start; serving without it", { error });
    return undefined;
  }
}

/** Flushes what is buffered, giving up after FLUSH_DEADLINE_MS (an unreachable collector must not hold the exit). */
export async function stopTracing(tracing: RunningTracing | undefined): Promise<void> {
  if (tracing === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_DEADLINE_MS);
    timer.unref();
  });
  await Promise.race([tracing.shutdown(), deadline]);
  clearTimeout(timer);
}
