import { letYoungGenerationGrow } from "../runtime/young-generation.js";
import { parseCommand, UsageError, type Command } from "./args.js";
import { USAGE } from "./usage.js";
import { commandConfig, providerCount } from "./read-config.js";
import { VERSION } from "../version.js";

// The serving hangar (./serve.js) is imported only to serve: audit, validate, --help and
// --version answer without loading the runtime, the front ends and the SDK.

async function main(argv: string[]): Promise<number | undefined> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      // The reason and where the usage is, not the whole --help over the reason.
      console.error(`mcp-hangar: ${error.message}\nrun 'mcp-hangar --help' for usage`);
      return 2;
    }
    throw error;
  }
  // Only a serving hangar stays up long enough for the young generation's resident size to matter.
  if (command.kind !== "serve") letYoungGenerationGrow();
  switch (command.kind) {
    case "help":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case "version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "validate": {
      // The answer starts with the file's path, so a validate that found its config says which.
      const found = commandConfig(command.file);
      if (typeof found === "number") return found;
      const { path: file, config } = found;
      process.stdout.write(`${file}: ok (${providerCount(config.providers.length)}: ${config.providers.map((p) => p.id).join(", ")})\n`);
      return 0;
    }
    case "audit": {
      // A one-shot query over the audit file: a serving hangar never loads it.
      const { runAudit } = await import("./audit-command.js");
      return runAudit(command, {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => {
          console.error(text);
        },
      });
    }
    case "serve": {
      const { serve } = await import("./serve.js");
      return serve(command);
    }
  }
}

/** Runs the command line; the process exits by itself (or by process.exit on shutdown). */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (error: unknown) => {
      console.error("mcp-hangar: fatal:", error);
      process.exitCode = 1;
    },
  );
}
