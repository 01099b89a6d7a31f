import type { AuditCapture } from "../../config/types.js";
import type { StampedDomainEvent } from "../../shared/domain-events.js";
import { foldedValues, mergedEvent } from "./call-pairing.js";

/**
 * How a batch of events crosses to the audit writer thread: one flat array instead of an array of
 * event objects, which postMessage clones for far less CPU (main thread and thread together) and
 * which leaves the thread far less to allocate (its young generation is small, see
 * threaded-writer.ts: every live byte of a batch is copied by each scavenge).
 *
 * Each event is its number of fields, then a pair per field (the event's keys in for…in order,
 * undefined values left out): the key as its index in the batch's `keys`, and the value. A string
 * value equal to the one this key had in the batch's previous event that carried the key travels
 * as `undefined` (undefined values are never sent, so it cannot mean anything else): a call's
 * provider, tool, system id and correlation id repeat from event to event. The tables are the
 * batch's own: a batch stands alone, whatever happened to the one before.
 *
 * With capture `hash` the arguments and result travel as their JSON text — the thread needs
 * nothing else of them (their size and keyed hash), and JSON.stringify here costs less than
 * cloning the object and stringifying the copy; with `none` they stay behind. The text is the one
 * the main-thread writer hashes: JSON.stringify of the event's own value. An event whose arguments
 * or result have no JSON text (a BigInt or a cycle makes JSON.stringify throw, a function has
 * none) goes as the object itself, behind OBJECT_RECORD, and the thread encodes it as it always
 * did (and falls back as it always did).
 *
 * `requests` (from CallPairing.pair) folds each answered call's request into its answer's record:
 * the request's arguments and requestedAt go as the record's last pairs, the very fields
 * mergedEvent would give the object, without building it on the main thread.
 */
export interface WireBatch {
  keys: string[];
  fields: unknown[];
}

/** In place of a field count: the next element is the event object itself. */
export const OBJECT_RECORD = -1;

export function toWire(events: readonly StampedDomainEvent[], capture: AuditCapture, requests?: readonly (StampedDomainEvent | undefined)[]): WireBatch {
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const lastValues: unknown[] = [];
  const fields: unknown[] = [];
  const push = (field: string, value: unknown): void => {
    let index = keyIndex.get(field);
    if (index === undefined) {
      index = keys.length;
      keys.push(field);
      keyIndex.set(field, index);
    }
    if (typeof value === "string" && lastValues[index] === value) fields.push(index, undefined);
    else {
      fields.push(index, value);
      lastValues[index] = value;
    }
  };
  for (let position = 0; position < events.length; position += 1) {
    const event = events[position] as StampedDomainEvent;
    const fieldsOf = event as unknown as Record<string, unknown>;
    // A request folded into this answer (call-pairing.ts): its fields go last, as mergedEvent puts them.
    const request = requests?.[position];
    const [foldedArguments, requestedAt] = request === undefined ? [undefined, undefined] : foldedValues(event, request, capture);
    const folds = foldedArguments !== undefined || requestedAt !== undefined;
    // The arguments this record stores: the folded request's, or the event's own.
    const argumentsValue = folds ? foldedArguments : fieldsOf.arguments;
    // First, so that an event without them goes as its object before any of its pairs is written.
    let argumentsText: string | undefined;
    let resultText: string | undefined;
    if (capture === "hash") {
      argumentsText = jsonTextOf(argumentsValue);
      resultText = jsonTextOf(fieldsOf.toolResult);
      if ((argumentsText === undefined && argumentsValue !== undefined) || (resultText === undefined && fieldsOf.toolResult !== undefined)) {
        fields.push(OBJECT_RECORD, mergedEvent(event, request, capture));
        continue;
      }
    }
    const record = fields.length;
    fields.push(0);
    let pairs = 0;
    for (const field in fieldsOf) {
      let value = fieldsOf[field];
      if (value === undefined || (folds && (field === "arguments" || field === "requestedAt"))) continue;
      if (capture !== "full" && (field === "arguments" || field === "toolResult")) {
        if (capture === "none") continue;
        value = field === "arguments" ? argumentsText : resultText;
      }
      push(field, value);
      pairs += 1;
    }
    if (foldedArguments !== undefined) {
      push("arguments", capture === "hash" ? argumentsText : foldedArguments);
      pairs += 1;
    }
    if (requestedAt !== undefined) {
      push("requestedAt", requestedAt);
      pairs += 1;
    }
    fields[record] = pairs;
  }
  return { keys, fields };
}

/** Each event as an object record (the batch could not be cloned as pairs: the thread then gets what it always got). */
export function objectsOnWire(events: readonly StampedDomainEvent[]): WireBatch {
  const fields: unknown[] = [];
  for (const event of events) fields.push(OBJECT_RECORD, event);
  return { keys: [], fields };
}

/**
 * Walks a wire batch in order: each event as its pairs — `count` of them from `pairs[start]` on,
 * whole (each key index replaced by its key, each repeat by its value) — or as its object. The
 * whole pairs are written into one small array reused from record to record, valid only during
 * the call; the batch itself is left as it came, so it can be walked again (the writer thread
 * encodes a batch as it writes it, and again should the write fail, to keep its rows for the
 * retry).
 */
export function forEachRecord(
  batch: WireBatch,
  onPairs: (pairs: readonly unknown[], start: number, count: number) => void,
  onObject: (event: StampedDomainEvent) => void,
): void {
  const { keys, fields } = batch;
  const lastValues: unknown[] = [];
  const whole: unknown[] = [];
  let index = 0;
  while (index < fields.length) {
    const count = fields[index] as number;
    if (count === OBJECT_RECORD) {
      onObject(fields[index + 1] as StampedDomainEvent);
      index += 2;
      continue;
    }
    const end = index + 1 + 2 * count;
    let at = 0;
    for (let pair = index + 1; pair < end; pair += 2) {
      const key = fields[pair] as number;
      let value = fields[pair + 1];
      if (value === undefined) value = lastValues[key];
      else lastValues[key] = value;
      whole[at] = keys[key];
      whole[at + 1] = value;
      at += 2;
    }
    onPairs(whole, 0, count);
    index = end;
  }
}

/** An event rebuilt from its (whole) pairs: the encoder's fallback for an event it could not encode. */
export function eventOfPairs(fields: readonly unknown[], start: number, count: number): StampedDomainEvent {
  const event: Record<string, unknown> = {};
  for (let index = start; index < start + 2 * count; index += 2) event[fields[index] as string] = fields[index + 1];
  return event as unknown as StampedDomainEvent;
}

/** The value's JSON text; undefined for an undefined value and for one without a text. */
function jsonTextOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    const text: unknown = JSON.stringify(value);
    return typeof text === "string" ? text : undefined;
  } catch {
    return undefined;
  }
}
