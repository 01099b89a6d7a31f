import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import type { Logger } from "../log.js";

/** A collector that is down fails every export; one line a minute says so without flooding stderr. */
const REPEAT_AFTER_MS = 60_000;

/**
 * OpenTelemetry reports its own trouble (a failed export, an unreachable collector) through
 * `diag`, which prints nothing by default. Here it reaches the hangar's log — stderr, redacted —
 * as warnings, at most one per minute; a failed export never touches a call.
 */
export function routeDiagnostics(log: Logger, now: () => number = Date.now): void {
  const warn = throttledWarnings(log, "tracing", now);
  const quiet = (): void => undefined;
  const logger: DiagLogger = { error: warn, warn, info: quiet, debug: quiet, verbose: quiet };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}

/**
 * A library's complaints as the hangar's warnings, `<label>: message` with the arguments as
 * `detail` (an error's message, never its stack), at most one a minute: the log's format
 * (`--log-format json`) and redaction apply, and a host that stays down does not flood stderr.
 */
export function throttledWarnings(log: Logger, label: string, now: () => number = Date.now): (message: string, ...args: unknown[]) => void {
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (message, ...args) => {
    const at = now();
    if (at - lastWarnAt < REPEAT_AFTER_MS) {
      suppressed += 1;
      return;
    }
    lastWarnAt = at;
    const more = suppressed > 0 ? ` (${suppressed} similar messages since the last one)` : "";
    suppressed = 0;
    log.warn(`${label}: ${message}${more}`, args.length > 0 ? { detail: args.map(describe).join(" ") } : undefined);
  };
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  // JSON.stringify gives undefined for functions and symbols, whatever its declared type says.
  const json = JSON.stringify(value) as string | undefined;
  return json ?? String(value);
}
