import { parseArgs } from "node:util";
import { isLogFormat, isLogLevel, type LogFormat, type LogLevel } from "../observability/log.js";
import { AUDIT_OPTIONS, auditFlags, strayAuditFlag, type AuditFlags } from "./audit-args.js";
import { extractInspectFlags, type InspectFlags } from "./inspect-flag.js";

export type Command =
  | { kind: "serve"; configPath: string | undefined; logLevel: LogLevel; logFormat: LogFormat; http?: HttpFlags; metricsPort?: number; inspect?: InspectFlags }
  | { kind: "validate"; file: string | undefined }
  | AuditFlags
  | { kind: "help" }
  | { kind: "version" };

/** `--http [--host H] [--port P] [--insecure]`: serve over HTTP instead of stdio (flags win over the config's http section). */
export interface HttpFlags {
  host: string | undefined;
  port: number | undefined;
  /** Allow a non-loopback address without authentication. */
  insecure: boolean;
}

/** Thrown for bad command lines; main prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {}

export function parseCommand(argv: string[]): Command {
  // --inspect takes an optional port, which parseArgs cannot express: taken out first.
  const { rest, inspect } = extractInspectFlags(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
        http: { type: "boolean" },
        host: { type: "string" },
        port: { type: "string" },
        insecure: { type: "boolean" },
        "metrics-port": { type: "string" },
        ...AUDIT_OPTIONS,
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  if (positionals[0] === "validate") {
    // Without a FILE, validate checks the config serving would find (src/config/find.ts).
    return { kind: "validate", file: positionals[1] ?? values.config };
  }
  if (positionals[0] === "audit") return auditFlags(positionals, values);
  const strayAudit = strayAuditFlag(values);
  if (strayAudit !== undefined) throw new UsageError(`--${strayAudit} applies to 'mcp-hangar audit'`);
  if (positionals.length > 0) throw new UsageError(`unknown command '${positionals.join(" ")}'`);
  const logLevel = values["log-level"] ?? "info";
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, not '${logLevel}'`);
  const logFormat = values["log-format"] ?? "text";
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format must be text or json, not '${logFormat}'`);
  const http = httpFlags(values);
  const metricsPort = values["metrics-port"] === undefined ? undefined : portNumber("--metrics-port", values["metrics-port"]);
  return {
    kind: "serve",
    configPath: values.config,
    logLevel,
    logFormat,
    ...(http === undefined ? {} : { http }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    ...(inspect === undefined ? {} : { inspect }),
  };
}

function httpFlags(values: { http?: boolean; host?: string; port?: string; insecure?: boolean }): HttpFlags | undefined {
  if (values.http !== true) {
    const stray = (["host", "port", "insecure"] as const).find((name) => values[name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} applies to the HTTP front end: add --http`);
    return undefined;
  }
  if (values.host?.trim() === "") throw new UsageError("--host needs an address, e.g. --host 127.0.0.1");
  let port: number | undefined;
  if (values.port !== undefined) {
    port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN;
    if (!(port >= 0 && port <= 65535)) throw new UsageError(`--port must be a port number from 0 to 65535 (0 = any free port), not '${values.port}'`);
  }
  return { host: values.host, port, insecure: values.insecure === true };
}

/** A port number from 0 (any free port) to 65535. */
function portNumber(flag: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${flag} must be a port number from 0 to 65535 (0 = any free port), not '${text}'`);
  return port;
}
