/**
 * The JSON text a parsed value was read from, kept beside the value so the line that forwards it
 * can reuse the text instead of serializing the value again (see jsonrpc-lines.ts). Two values
 * travel so on every tool call: the arguments of a client's tools/call (to the provider's
 * request) and the result of a provider's answer (to the client's answer).
 *
 * Kept by the value's identity: the value itself stays what JSON.parse made (no property added,
 * which a spread or Object.assign would copy, and deep-equality checks would see), and whoever
 * builds a new value from it (a spread that adds `_meta`, a redaction, a copy) builds one without
 * text, which is then serialized as before. Nothing may change a value in place once its text is
 * kept; nothing in the hangar does (results and arguments are passed on or copied).
 *
 * Only the last RECENT values read are kept, in a ring, not in a WeakMap: a WeakMap entry costs
 * ≈ 0.3 µs to add — most of what the splice saves — and every scavenge walks the entries of
 * short-lived keys. A value is written soon after it is read (a result within the same tick, a
 * call's arguments a few microtasks later), so the newest entries are the ones asked for; a value
 * read longer ago (or taken already, see verbatimOf) is serialized as before. The ring holds at
 * most RECENT values alive a little longer than they would otherwise live.
 */
const RECENT = 64;
const values: (object | undefined)[] = new Array<object | undefined>(RECENT).fill(undefined);
const texts: (string | undefined)[] = new Array<string | undefined>(RECENT).fill(undefined);
/** Where the next value goes (the oldest slot). */
let next = 0;
/** Slots holding a value: none (a hangar whose values all come from elsewhere) skips the search. */
let held = 0;

/** Remembers that `value` is JSON.parse(`text`); returns `value`. */
export function keepVerbatim<T extends object>(value: T, text: string): T {
  if (values[next] === undefined) held++;
  values[next] = value;
  texts[next] = text;
  next = next === RECENT - 1 ? 0 : next + 1;
  return value;
}

/**
 * The text `value` was parsed from, when it is one of the values kept and not taken yet
 * (undefined for any other value). Taking it frees its slot: each text is written once, and a
 * second write of the same value (a retry) serializes it as before.
 */
export function verbatimOf(value: unknown): string | undefined {
  if (held === 0 || typeof value !== "object" || value === null) return undefined;
  for (let step = 1, slot = next; step <= RECENT; step++) {
    slot = slot === 0 ? RECENT - 1 : slot - 1;
    if (values[slot] === value) {
      const text = texts[slot];
      values[slot] = texts[slot] = undefined;
      held--;
      return text;
    }
  }
  return undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FIRST_PRINTABLE = 0x20;

/**
 * The end (index after the closing quote) of a JSON string starting at `start` that needs no
 * unescaping — no backslash, no control character — or -1. Such a string's value is its text
 * between the quotes.
 */
export function plainStringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== QUOTE) return -1;
  for (let index = start + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) return index + 1;
    if (code === BACKSLASH || code < FIRST_PRINTABLE) return -1;
  }
  return -1;
}

/**
 * A JSON-RPC id written as JSON text — a string without escapes, or an integer in JSON's own
 * notation that is a safe integer — as the value JSON.parse would give; undefined for anything
 * else (which the caller leaves to JSON.parse and the schema, as before).
 */
export function plainIdValue(text: string): string | number | undefined {
  if (text.length === 0) return undefined;
  if (text.charCodeAt(0) === QUOTE) return plainStringEnd(text, 0) === text.length ? text.slice(1, -1) : undefined;
  if (!JSON_INTEGER.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

const JSON_INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
