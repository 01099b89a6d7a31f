import type { AuditCapture } from "../../config/types.js";
import type { StampedDomainEvent } from "../../shared/domain-events.js";
import type { Redactor } from "../../shared/redaction.js";
import { keyedSha256 } from "./keyed-hash.js";
import type { AuditRow } from "./row.js";

/**
 * Turns a stamped domain event into an audit row, deciding what of it may be stored:
 * - tool arguments and results per `audit.capture`: `none` keeps nothing, `hash` (the default)
 *   keeps their size and a keyed HMAC-SHA256, `full` keeps the values with secrets masked;
 * - every stored text goes through the redactor, so config secrets never reach the file, even
 *   when a provider echoes one in an error message.
 * Runs in the writer's batch, never on the call's path.
 *
 * The payload column is the JSON of an object of the event's other fields (in the event's key
 * order, undefined ones left out). It is written as text, field by field — `"key":` and each
 * value's JSON — which is the very text JSON.stringify gives for that object, without building
 * it (the writer thread encodes two rows per call). The two cases where the texts could differ
 * take the object route: a top-level value with a toJSON method (JSON.stringify hands it its
 * key), and a payload key met twice (an event's own `result` beside its captured `toolResult`).
 * test/observability/audit/encoding-equivalence.test.ts holds the rows to the object route's.
 */
export interface CapturedPayload {
  bytes: number;
  hmac?: string;
  value?: unknown;
}

export interface RowEncoder {
  encode: (event: StampedDomainEvent) => AuditRow;
  /**
   * The same row from an event sent as `count` key/value pairs from `fields[start]` on (the
   * writer thread's wire, see audit-wire.ts). With `capturedAsJson`, arguments and toolResult
   * are their JSON text already (capture `hash`), taken as the event's own values would be.
   */
  encodePairs: (fields: readonly unknown[], start: number, count: number, capturedAsJson: boolean) => AuditRow;
}

/** Fields that become columns (or are captured), not payload. */
const COLUMN_FIELDS = new Set(["type", "providerId", "correlationId", "principal", "seq", "timestamp", "systemId"]);
/** The captured fields and the payload key each is stored under. */
function capturedKeyOf(field: string): string | undefined {
  if (field === "arguments") return "arguments";
  if (field === "toolResult") return "result";
  return undefined;
}
/** Field names whose `"name":` prefix is kept (events have a few dozen field names in all). */
const MAX_KEY_PREFIXES = 256;

/** The row's columns, gathered from the event's fields. */
interface Columns {
  type: unknown;
  seq: unknown;
  timestamp: unknown;
  systemId: unknown;
  providerId: unknown;
  correlationId: unknown;
  principal: unknown;
}

export function createRowEncoder(options: {
  capture: AuditCapture;
  key: Buffer;
  redactor: Redactor;
  instance: string;
  source: string;
}): RowEncoder {
  const { capture, key, redactor, instance, source } = options;
  const keyedHash = keyedSha256(key);
  const keyPrefixes = new Map<string, string>();

  const prefixOf = (payloadKey: string): string => {
    let prefix = keyPrefixes.get(payloadKey);
    if (prefix === undefined) {
      prefix = `${JSON.stringify(payloadKey)}:`;
      if (keyPrefixes.size < MAX_KEY_PREFIXES) keyPrefixes.set(payloadKey, prefix);
    }
    return prefix;
  };

  /** What is kept of a captured value whose JSON text is `json` (undefined for a function: Buffer.byteLength throws, as ever). */
  const captured = (value: unknown, json: string | undefined): CapturedPayload => {
    const bytes = Buffer.byteLength(json as string);
    if (capture === "full") return { bytes, value: redactor.redactValue(value) };
    return { bytes, hmac: keyedHash(json as string) };
  };

  /** A non-captured field's stored value: masked as data, not as JSON text (a mask can never break the JSON). */
  const masked = (value: unknown): unknown => (typeof value === "string" ? redactor.redact(value) : redactor.redactValue(value));

  // The payload of the row being encoded, as text; `undefined` once it must take the object route.
  let payload: string | undefined = "";
  let hasArguments = false;
  let hasResult = false;

  const addPayloadField = (field: string, value: unknown, capturedAsJson: boolean): void => {
    if (payload === undefined) return;
    const capturedAs = capturedKeyOf(field);
    const payloadKey = capturedAs ?? field;
    let json: string | undefined;
    if (capturedAs !== undefined) {
      if (capture === "none") return;
      if (capture === "hash") {
        const text = capturedAsJson ? (value as string) : JSON.stringify(value);
        const bytes = Buffer.byteLength(text);
        json = `{"bytes":${bytes},"hmac":"${keyedHash(text)}"}`;
      } else json = JSON.stringify(captured(value, JSON.stringify(value)));
    } else {
      const stored = masked(value);
      if (typeof stored === "object" && stored !== null && typeof (stored as { toJSON?: unknown }).toJSON === "function") {
        payload = undefined;
        return;
      }
      // JSON.stringify's typing says string; for a function or symbol it is undefined.
      const text = JSON.stringify(stored) as string | undefined;
      // JSON.stringify of the object leaves such a property out.
      if (text === undefined) return;
      json = text;
    }
    if (payloadKey === "arguments" || payloadKey === "result") {
      if (payloadKey === "arguments" ? hasArguments : hasResult) {
        payload = undefined;
        return;
      }
      if (payloadKey === "arguments") hasArguments = true;
      else hasResult = true;
    }
    payload = payload === "" ? prefixOf(payloadKey) + json : `${payload},${prefixOf(payloadKey)}${json}`;
  };

  /** The object route: the payload object as the encoder always built it, then JSON.stringify. */
  const payloadObjectOf = (fields: Iterable<[string, unknown]>, capturedAsJson: boolean): string => {
    const object: Record<string, unknown> = {};
    for (const [field, value] of fields) {
      if (COLUMN_FIELDS.has(field) || value === undefined) continue;
      const capturedAs = capturedKeyOf(field);
      if (capturedAs === undefined) object[field] = masked(value);
      // Captured as JSON text only with capture `hash`, which keeps nothing of the value but that text's size and hash.
      else if (capture !== "none") object[capturedAs] = captured(value, capturedAsJson ? (value as string) : JSON.stringify(value));
    }
    return JSON.stringify(object);
  };

  const rowOf = (columns: Columns, payloadText: string): AuditRow => ({
    ts: columns.timestamp as number,
    instance,
    seq: columns.seq as number,
    source,
    systemId: columns.systemId as string,
    type: columns.type as string,
    provider: (columns.providerId as string | undefined) ?? null,
    correlationId: (columns.correlationId as string | undefined) ?? null,
    principal: (columns.principal as string | undefined) ?? null,
    payload: payloadText,
  });

  const begin = (): void => {
    payload = "";
    hasArguments = false;
    hasResult = false;
  };

  return {
    encode: (event) => {
      begin();
      const fieldsOf = event as unknown as Record<string, unknown>;
      // for…in, not Object.entries: the same own keys in the same order, without an array per field (events are plain objects).
      for (const field in fieldsOf) {
        const value = fieldsOf[field];
        if (COLUMN_FIELDS.has(field) || value === undefined) continue;
        addPayloadField(field, value, false);
      }
      return rowOf(event as unknown as Columns, payload === undefined ? payloadObjectOf(entriesOf(fieldsOf), false) : `{${payload}}`);
    },
    encodePairs: (fields, start, count, capturedAsJson) => {
      begin();
      const columns: Columns = { type: undefined, seq: undefined, timestamp: undefined, systemId: undefined, providerId: undefined, correlationId: undefined, principal: undefined };
      const end = start + 2 * count;
      for (let index = start; index < end; index += 2) {
        const field = fields[index] as string;
        const value = fields[index + 1];
        if (COLUMN_FIELDS.has(field)) columns[field as keyof Columns] = value;
        else if (value !== undefined) addPayloadField(field, value, capturedAsJson);
      }
      const text = payload === undefined ? payloadObjectOf(pairsOf(fields, start, end), capturedAsJson) : `{${payload}}`;
      return rowOf(columns, text);
    },
  };
}

function* entriesOf(fields: Record<string, unknown>): Iterable<[string, unknown]> {
  for (const field in fields) yield [field, fields[field]];
}

function* pairsOf(fields: readonly unknown[], start: number, end: number): Iterable<[string, unknown]> {
  for (let index = start; index < end; index += 2) yield [fields[index] as string, fields[index + 1]];
}
