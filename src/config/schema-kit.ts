import * as z from "zod";

/**
 * Building blocks shared by the config schemas (providers, groups, http, observability): values
 * that may arrive as interpolated strings, and small type checks for cross-key refinements.
 */

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;

/** A numeric string ("300", from `${TTL:-300}` or a quoted literal). */
export function isNumericText(value: string): boolean {
  return NUMERIC.test(value.trim());
}

// Interpolated values are always strings, so `idle_ttl_s: ${TTL:-300}` has to be able to mean 300.
// A quoted literal ("300") is accepted the same way; text that is not a number still fails.
export function numeric<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (typeof value === "string" && isNumericText(value) ? Number(value) : value), schema);
}

/** true/false, also as text ("true", "False" from interpolation). */
export function boolish() {
  return z.preprocess(
    (value) => (typeof value === "string" && BOOLEAN.test(value.trim()) ? value.trim().toLowerCase() === "true" : value),
    z.boolean(),
  );
}

export function flag(fallback: boolean) {
  return boolish().default(fallback);
}

export const positiveSeconds = (fallback: number) => numeric(z.number().positive()).default(fallback);

// Not `.int()`: its issue is marked non-continuable, which silently skips the provider-id,
// duplicate-name and cross-key checks that run after it, and a report should hold every problem.
export const wholeNumber = (check: z.ZodNumber) => numeric(check.refine(Number.isInteger, { error: "must be a whole number" }));
export const positiveCount = (fallback: number) => wholeNumber(z.number().positive()).default(fallback);

/** A number that passed its own validation, so comparing it with another means something. */
export function isPositive(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
