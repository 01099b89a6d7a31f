import { redactor } from "../shared/redaction.js";

/**
 * The hangar's own log. It writes to STDERR only: in stdio mode the hangar's stdout is the MCP
 * channel to the client, and one stray byte there breaks the session. Every message and field
 * passes through the redactor, because provider stderr and error texts can echo secrets.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every record (e.g. `{ provider: "math" }`). */
  child(bindings: LogFields): Logger;
}

export interface LogOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where finished lines go; tests capture them here. Defaults to process.stderr. */
  sink?: (line: string) => void;
}

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const writeStderr = (line: string): void => {
  process.stderr.write(line);
};

const settings: { minRank: number; format: LogFormat; sink: (line: string) => void; correlation: LogCorrelation | undefined } = {
  minRank: RANK.info,
  format: "text",
  sink: writeStderr,
  correlation: undefined,
};

/** The ids of the span a line is written in (`trace_id`, `span_id`), or undefined outside one. */
export type LogCorrelation = () => { trace_id: string; span_id: string } | undefined;

/** Set by tracing when it starts; without it, lines carry no trace ids and cost nothing extra. */
export function setLogCorrelation(correlation: LogCorrelation | undefined): void {
  settings.correlation = correlation;
}

/** Set once at start-up from `--log-level` / `--log-format`; unspecified options keep their value. */
export function configureLog(options: LogOptions): void {
  if (options.level !== undefined) settings.minRank = RANK[options.level];
  if (options.format !== undefined) settings.format = options.format;
  if (options.sink !== undefined) settings.sink = options.sink;
}

/** Back to the defaults (info, text, stderr): for tests that changed the sink. */
export function resetLog(): void {
  settings.minRank = RANK.info;
  settings.format = "text";
  settings.sink = writeStderr;
  settings.correlation = undefined;
}

/** Whether a record at this level would be written (lets hot paths skip building it). */
export function isLogEnabled(level: LogLevel): boolean {
  return RANK[level] >= settings.minRank;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

function write(level: LogLevel, msg: string, bindings: LogFields | undefined, fields: LogFields | undefined): void {
  // Checked before any formatting so a disabled debug line costs one comparison.
  if (RANK[level] < settings.minRank) return;
  const merged = bindings === undefined ? fields : fields === undefined ? bindings : { ...bindings, ...fields };
  // redactValue masks by value and by secret-like key; redacting the finished JSON text instead
  // would miss secrets whose JSON escaping differs from their raw form.
  const redacted = merged === undefined ? undefined : (redactor.redactValue(errorsToText(merged)) as LogFields);
  const ids = settings.correlation?.();
  const safeFields = ids === undefined ? redacted : { ...ids, ...redacted };
  const safeMsg = redactor.redact(msg);
  const time = new Date().toISOString();
  settings.sink(settings.format === "json" ? jsonLine(time, level, safeMsg, safeFields) : textLine(time, level, safeMsg, safeFields));
}

/** redactValue copies only enumerable keys, and an Error's message is not one: flatten first. */
function errorsToText(fields: LogFields): LogFields {
  let out: LogFields | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out ??= { ...fields };
      out[key] = value.message;
    }
  }
  return out ?? fields;
}

function jsonLine(time: string, level: LogLevel, msg: string, fields: LogFields | undefined): string {
  return `${JSON.stringify({ time, level, msg, ...fields }, jsonReplacer)}\n`;
}

function textLine(time: string, level: LogLevel, msg: string, fields: LogFields | undefined): string {
  let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
  if (fields !== undefined) {
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      line += ` ${key}=${textValue(value)}`;
    }
  }
  return `${line}\n`;
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  // JSON.stringify gives undefined for these, whatever its declared return type says.
  if (typeof value === "function" || typeof value === "symbol" || value === undefined) return String(value);
  return JSON.stringify(value, jsonReplacer);
}

/** JSON.stringify throws on a bigint; a log line must never throw. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

function makeLogger(bindings: LogFields | undefined): Logger {
  return {
    debug: (msg, fields) => {
      write("debug", msg, bindings, fields);
    },
    info: (msg, fields) => {
      write("info", msg, bindings, fields);
    },
    warn: (msg, fields) => {
      write("warn", msg, bindings, fields);
    },
    error: (msg, fields) => {
      write("error", msg, bindings, fields);
    },
    child: (more) => makeLogger(bindings === undefined ? more : { ...bindings, ...more }),
  };
}

/** The process-wide logger. */
export const log: Logger = makeLogger(undefined);
