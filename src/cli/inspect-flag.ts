import { UsageError } from "./args.js";

/**
 * `--inspect [PORT]` and `--inspect-arguments`. node:util's parseArgs has no options with an
 * optional value, so these two are taken out of argv before it runs: `--inspect 9000` and
 * `--inspect=9000` name a port, a bare `--inspect` (followed by another flag, a command, or
 * nothing) means the default port.
 */
export const DEFAULT_INSPECT_PORT = 5678;

export interface InspectFlags {
  /** 0 picks a free port. */
  port: number;
  /** `--inspect-arguments`: tool arguments are shown to inspector viewers (still redacted). */
  includeArguments: boolean;
}

export function extractInspectFlags(argv: readonly string[]): { rest: string[]; inspect: InspectFlags | undefined } {
  const rest: string[] = [];
  let port: number | undefined;
  let includeArguments = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === "--inspect-arguments") {
      includeArguments = true;
    } else if (arg === "--inspect") {
      const next = argv[i + 1];
      if (next !== undefined && /^\d+$/.test(next)) {
        port = inspectPort(next);
        i += 1;
      } else {
        port = DEFAULT_INSPECT_PORT;
      }
    } else if (arg.startsWith("--inspect=")) {
      port = inspectPort(arg.slice("--inspect=".length));
    } else {
      rest.push(arg);
    }
  }
  if (port === undefined) {
    if (includeArguments) throw new UsageError("--inspect-arguments applies to the inspector: add --inspect");
    return { rest, inspect: undefined };
  }
  return { rest, inspect: { port, includeArguments } };
}

function inspectPort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`--inspect takes a port number from 0 to 65535 (0 = any free port), not '${text}'`);
  return port;
}
