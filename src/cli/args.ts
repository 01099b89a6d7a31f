import { parseArgs } from "node:util";
import { isLogFormat, isLogLevel, type LogFormat, type LogLevel } from "../observability/log.js";

export type Command =
  | { kind: "serve"; configPath: string | undefined; logLevel: LogLevel; logFormat: LogFormat }
  | { kind: "validate"; file: string }
  | { kind: "help" }
  | { kind: "version" };

/** Thrown for bad command lines; main prints it with the usage and exits 2. */
export class UsageError extends Error {}

export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        "log-level": { type: "string" },
        "log-format": { type: "string" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  if (positionals[0] === "validate") {
    const file = positionals[1] ?? values.config;
    if (file === undefined) throw new UsageError("validate needs a FILE: mcp-hangar validate hangar.yaml");
    return { kind: "validate", file };
  }
  if (positionals.length > 0) throw new UsageError(`unknown command '${positionals.join(" ")}'`);
  const logLevel = values["log-level"] ?? "info";
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error, not '${logLevel}'`);
  const logFormat = values["log-format"] ?? "text";
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format must be text or json, not '${logFormat}'`);
  return { kind: "serve", configPath: values.config, logLevel, logFormat };
}
