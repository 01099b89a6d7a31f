import type { AnyEventObject } from "xstate";
import { CallSignal } from "../../shared/call-signal.js";
import { LineRing } from "../../shared/line-ring.js";
import { looksLikeSecretKey, redactor as sharedRedactor, type Redactor } from "../../shared/redaction.js";

/**
 * What may leave the process for the inspector. Everything an actor holds passes through here
 * first and comes out as plain JSON data:
 *
 * - every value under an `env` or `headers` key is masked (the keys stay, so people see what is set);
 * - strings go through the shared redactor (registered secrets masked wherever they appear), and a
 *   string under a secret-like key (`token`, `api_key`, …) is masked whole — the rules of
 *   `redactor.redactValue`, applied in the same walk that makes the data plain;
 * - tool `arguments` (and a call's `toolResult`) are hidden unless `--inspect-arguments` (then shown, still redacted);
 * - functions (the `reply` resolvers) are left out, actor refs become `{ xstate$$type, id }` as in
 *   xstate's own JSON, a LineRing (a provider's stderr) becomes its last lines, an AbortSignal
 *   whether it fired;
 * - depth, array lengths and string lengths are capped, so one odd value cannot make a huge message.
 *
 * Cost: contexts are updated immutably (XState's rule), so a subtree of plain data — a provider's
 * spec, its tool list — keeps its identity from one snapshot to the next. Its sanitized form is
 * kept in a WeakMap and reused; subtrees holding live objects (a LineRing, a ref, a signal) are
 * sanitized afresh every time.
 */
export interface SanitizeOptions {
  /** Show tool arguments (still redacted): `--inspect-arguments`. */
  includeArguments: boolean;
  /** Defaults to the process-wide redactor that config loading fills. */
  redactor?: Redactor;
}

export interface Sanitizer {
  sanitizeContext: (context: unknown) => unknown;
  sanitizeEvent: (event: AnyEventObject) => AnyEventObject;
  /** A whole snapshot: state value, context, and the `input`/`output` of callback and promise actors. */
  sanitizeSnapshot: (snapshot: unknown) => SanitizedSnapshot;
}

export interface SanitizedSnapshot {
  status: string | undefined;
  value?: unknown;
  context?: unknown;
  children?: Record<string, unknown>;
  input?: unknown;
  output?: unknown;
  error?: unknown;
}

export const MASK = "***";
export const HIDDEN_ARGUMENTS = "[hidden: start with --inspect-arguments to show tool arguments]";
const MAX_DEPTH = 10;
const MAX_ARRAY_ITEMS = 50;
const MAX_STRING_LENGTH = 2_000;
const STDERR_TAIL_LINES = 20;
/** Keys whose values are masked one by one: a provider's environment, a remote provider's headers. */
const MASKED_MAPS = new Set(["env", "headers"]);
const ACTOR_TYPE = 1; // xstate's $$ACTOR_TYPE: how an actor ref serializes

function isActorRef(value: object): value is { id: string; sessionId: string } {
  const candidate = value as { sessionId?: unknown; send?: unknown };
  return typeof candidate.sessionId === "string" && typeof candidate.send === "function";
}

export function createSanitizer(options: SanitizeOptions): Sanitizer {
  const redactor = options.redactor ?? sharedRedactor;
  const cache = new WeakMap<object, unknown>();
  /** Counts live objects met and subtrees cut short: a subtree that met none is cached. */
  let volatileMarks = 0;

  const text = (value: string): string => {
    const clipped = value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}… (${value.length} chars)` : value;
    return redactor.redact(clipped);
  };

  const clean = (value: unknown, depth: number): unknown => {
    switch (typeof value) {
      case "string":
        return text(value);
      case "number":
        return Number.isFinite(value) ? value : String(value);
      case "boolean":
      case "undefined":
        return value;
      case "bigint":
        return value.toString();
      case "function":
      case "symbol":
        return undefined;
      default:
        return value === null ? null : cleanObject(value as object, depth);
    }
  };

  const cleanObject = (value: object, depth: number): unknown => {
    const cached = cache.get(value);
    if (cached !== undefined) return cached;
    const marksBefore = volatileMarks;
    const cleaned = cleanFresh(value, depth);
    if (volatileMarks === marksBefore) cache.set(value, cleaned);
    return cleaned;
  };

  const cleanFresh = (value: object, depth: number): unknown => {
    if (depth >= MAX_DEPTH) {
      volatileMarks += 1;
      return "[…]";
    }
    // A client call's CallSignal is a signal too (not an AbortSignal instance): live, re-read every time.
    const signal = value instanceof AbortSignal || value instanceof CallSignal;
    if (value instanceof LineRing || isActorRef(value) || signal || value instanceof Error) volatileMarks += 1;
    if (value instanceof LineRing) return { lines: value.size, tail: value.tail(STDERR_TAIL_LINES).map(text) };
    if (isActorRef(value)) return { xstate$$type: ACTOR_TYPE, id: value.id };
    if (signal) return { aborted: value.aborted };
    if (value instanceof Error) return { name: value.name, message: text(value.message) };
    if (value instanceof Date) return value.toISOString();
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    if (value instanceof Map || value instanceof Set) volatileMarks += 1;
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...(value as Iterable<unknown>)];
      const out = items.slice(0, MAX_ARRAY_ITEMS).map((item) => clean(item, depth + 1) ?? null);
      if (items.length > MAX_ARRAY_ITEMS) out.push(`… ${items.length - MAX_ARRAY_ITEMS} more`);
      return out;
    }
    const entries: (readonly [string, unknown])[] =
      value instanceof Map ? [...(value as Map<unknown, unknown>)].map(([k, v]) => [String(k), v] as const) : Object.entries(value);
    const out: Record<string, unknown> = {};
    for (const [key, inner] of entries) {
      if (typeof inner === "function") continue; // reply resolvers and the like
      let cleaned: unknown;
      if (MASKED_MAPS.has(key.toLowerCase()) && inner !== null && typeof inner === "object") cleaned = maskValues(inner);
      else if ((key === "arguments" || key === "toolResult") && inner !== undefined && !options.includeArguments) cleaned = HIDDEN_ARGUMENTS;
      else if (typeof inner === "string" && looksLikeSecretKey(key)) cleaned = MASK;
      else cleaned = clean(inner, depth + 1);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  };

  const maskValues = (map: object): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const key of Object.keys(map)) out[key] = MASK;
    return out;
  };

  const sanitizeContext = (context: unknown): unknown => clean(context, 0);

  const sanitizeEvent = (event: AnyEventObject): AnyEventObject => {
    const cleaned = clean(event, 0);
    return { ...(cleaned as Record<string, unknown>), type: event.type };
  };

  const sanitizeSnapshot = (snapshot: unknown): SanitizedSnapshot => {
    if (snapshot === null || typeof snapshot !== "object") return { status: undefined };
    const raw = snapshot as Record<string, unknown>;
    const out: SanitizedSnapshot = { status: typeof raw.status === "string" ? raw.status : undefined };
    if (raw.value !== undefined) out.value = clean(raw.value, 0);
    if (raw.context !== undefined) out.context = sanitizeContext(raw.context);
    if (raw.children !== null && typeof raw.children === "object") {
      const children: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(raw.children as Record<string, unknown>)) children[key] = clean(child, 1) ?? null;
      out.children = children;
    }
    // Callback and promise actors keep their input in the snapshot: a connection's input is the
    // provider spec, env included.
    if (raw.input !== undefined) out.input = clean(raw.input, 0);
    if (raw.output !== undefined) out.output = clean(raw.output, 0);
    if (raw.error !== undefined) out.error = clean(raw.error, 0);
    return out;
  };

  return { sanitizeContext, sanitizeEvent, sanitizeSnapshot };
}
