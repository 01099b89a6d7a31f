import { ConfigError } from "../../src/config/errors.js";
import { parseConfig } from "../../src/config/load.js";

/** The lines of the error a config is refused with (`file:line:col: path: reason`); fails when it is accepted. */
export function configProblems(text: string, file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, file, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.format().split("\n");
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

/** Lines joined with "\n", so line numbers in assertions can be read off the array index + 1. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}
