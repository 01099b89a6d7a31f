import { createHmac } from "node:crypto";
import type { AuditCapture } from "../../config/types.js";
import type { StampedDomainEvent } from "../../shared/domain-events.js";
import type { Redactor } from "../../shared/redaction.js";
import type { AuditRow } from "./row.js";

/**
 * Turns a stamped domain event into an audit row, deciding what of it may be stored:
 * - tool arguments and results per `audit.capture`: `none` keeps nothing, `hash` (the default)
 *   keeps their size and a keyed HMAC-SHA256, `full` keeps the values with secrets masked;
 * - every stored text goes through the redactor, so config secrets never reach the file, even
 *   when a provider echoes one in an error message.
 * Runs in the writer's batch, never on the call's path.
 */
export interface CapturedPayload {
  bytes: number;
  hmac?: string;
  value?: unknown;
}

export interface RowEncoder {
  encode: (event: StampedDomainEvent) => AuditRow;
}

/** Fields that become columns (or are captured), not payload. */
const COLUMN_FIELDS = new Set(["type", "providerId", "correlationId", "principal", "seq", "timestamp", "systemId"]);
const CAPTURED_FIELDS: Record<string, string> = { arguments: "arguments", toolResult: "result" };

export function createRowEncoder(options: {
  capture: AuditCapture;
  key: Buffer;
  redactor: Redactor;
  instance: string;
  source: string;
}): RowEncoder {
  const { capture, key, redactor, instance, source } = options;

  const captured = (value: unknown): CapturedPayload | undefined => {
    if (capture === "none" || value === undefined) return undefined;
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json);
    if (capture === "full") return { bytes, value: redactor.redactValue(value) };
    return { bytes, hmac: createHmac("sha256", key).update(json).digest("hex") };
  };

  return {
    encode: (event) => {
      const payload: Record<string, unknown> = {};
      const fieldsOf = event as unknown as Record<string, unknown>;
      // for…in, not Object.entries: the same own keys in the same order, without an array per field (events are plain objects).
      for (const field in fieldsOf) {
        const value = fieldsOf[field];
        if (COLUMN_FIELDS.has(field) || value === undefined) continue;
        const capturedAs = CAPTURED_FIELDS[field];
        // Masked as data, not as JSON text (a mask can never break the JSON); plain strings cost
        // nothing when no secret is registered.
        if (capturedAs === undefined) payload[field] = typeof value === "string" ? redactor.redact(value) : redactor.redactValue(value);
        else {
          const kept = captured(value);
          if (kept !== undefined) payload[capturedAs] = kept;
        }
      }
      const fields = event as Partial<Record<"providerId" | "correlationId" | "principal", string>>;
      return {
        ts: event.timestamp,
        instance,
        seq: event.seq,
        source,
        systemId: event.systemId,
        type: event.type,
        provider: fields.providerId ?? null,
        correlationId: fields.correlationId ?? null,
        principal: fields.principal ?? null,
        payload: JSON.stringify(payload),
      };
    },
  };
}
