import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";

/**
 * A call may be retried on another member or after a reconnect only when the tool says that
 * repeating it is harmless. Everything else is sent at most once.
 */
export function isRetrySafe(annotations: ToolAnnotations | undefined): boolean {
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true;
}
