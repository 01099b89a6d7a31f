import { z } from "zod";
import type { InvokeArgs } from "./checked-invoke.js";

/** registry_invoke's arguments (registry_invoke_ex and registry_invoke_stream take them too, and more). */
export const invokeFields = {
  provider: z.string().min(1).describe("Provider or group id, as in the config"),
  tool: z.string().min(1).describe("Tool name as the provider lists it"),
  arguments: z.record(z.string(), z.unknown()).optional().describe("Tool arguments"),
  timeout_s: z.number().positive().optional().describe("Overrides the provider's call_timeout_s"),
};

const INVOKE_KEYS: ReadonlySet<string> = new Set(Object.keys(invokeFields));

/**
 * registry_invoke's arguments as they are, when the tool kit's strict zod check of invokeFields
 * would take them unchanged; undefined for anything else (missing or misspelt fields, wrong
 * types), which is left to that check and its words. For JSON the two agree exactly (a property
 * test says so): this is the check without zod's per-call parse and copy, for the front end's
 * quick route (quickInvoke).
 */
export function plainInvokeArgs(given: unknown): InvokeArgs | undefined {
  if (!isRecord(given)) return undefined;
  for (const key in given) if (!INVOKE_KEYS.has(key)) return undefined;
  const { provider, tool, arguments: args, timeout_s: timeoutS } = given;
  if (typeof provider !== "string" || provider === "" || typeof tool !== "string" || tool === "") return undefined;
  if (args !== undefined && !isRecord(args)) return undefined;
  if (timeoutS !== undefined && !(typeof timeoutS === "number" && Number.isFinite(timeoutS) && timeoutS > 0)) return undefined;
  return given as unknown as InvokeArgs;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
