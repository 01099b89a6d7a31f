import type { AnyActorRef, AnyEventObject, InspectionEvent } from "xstate";
import { redactor } from "../../shared/redaction.js";
import type { Sanitizer, SanitizedSnapshot } from "./sanitize.js";

/**
 * The messages the Stately inspector page understands — the same shapes `@statelyai/inspect`'s
 * `createWebSocketInspector` sends (its `convertXStateEvent`), built from already sanitized data:
 *
 * - `@xstate.actor`: an actor exists — its name (`provider:math`), session id, parent, the
 *   machine definition as JSON, and its snapshot;
 * - `@xstate.event`: an event was delivered to an actor (and by whom);
 * - `@xstate.snapshot`: the actor's snapshot after an event.
 *
 * The page only checks that `_version` is a string; it is the @statelyai/inspect version whose
 * protocol these messages follow (test/observability/inspector.test.ts compares it with the
 * installed package).
 */
export const STATELY_INSPECT_VERSION = "0.7.2";

interface BaseMessage {
  sessionId: string;
  rootId: string | undefined;
  createdAt: string;
  id: null;
  _version: string;
}

export interface ActorMessage extends BaseMessage {
  type: "@xstate.actor";
  name: string;
  definition: string;
  parentId: string | undefined;
  snapshot: SanitizedSnapshot;
}

export interface EventMessage extends BaseMessage {
  type: "@xstate.event";
  event: AnyEventObject;
  sourceId: string | undefined;
}

export interface SnapshotMessage extends BaseMessage {
  type: "@xstate.snapshot";
  event: AnyEventObject;
  snapshot: SanitizedSnapshot;
}

export type InspectorMessage = ActorMessage | EventMessage | SnapshotMessage;

/** Machine definitions never change: each logic object is serialized once. */
const definitions = new WeakMap<object, string>();

/** The machine config as JSON, functions as `{ type: name }` (as the inspector expects). */
/** The actor's logic (a machine, a callback, …); `Actor` has it, the `ActorRef` type does not say so. */
function logicOf(ref: AnyActorRef): object {
  return (ref as unknown as { logic: object }).logic;
}

function definitionOf(ref: AnyActorRef, name: string): string {
  const logic = logicOf(ref);
  const cached = definitions.get(logic);
  if (cached !== undefined) return cached;
  const config = (logic as { config?: unknown }).config;
  const definition = config !== null && typeof config === "object" ? stringifyConfig(config) : JSON.stringify({ id: name });
  definitions.set(logic, definition);
  return definition;
}

function stringifyConfig(config: object): string {
  const ancestors: object[] = [];
  // Configs are trees of plain objects (no depth limit: the provider chart is deeper than the
  // @statelyai/inspect default of 10); a cycle, should one appear, is cut rather than followed.
  const text = JSON.stringify(config, function replacer(this: unknown, _key, value: unknown) {
    if (typeof value === "function") return { type: value.name };
    if (value === null || typeof value !== "object") return value;
    while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
    if (ancestors.includes(value)) return "[Circular]";
    ancestors.push(value);
    return value;
  });
  // Configs hold no secrets; redacting is cheap (once per machine) and keeps it that way.
  return redactor.redact(text);
}

function rootIdOf(ref: AnyActorRef): string {
  let root = ref;
  while (root._parent) root = root._parent;
  return root.sessionId;
}

/** `provider:math` for spawned actors; the machine id for an actor without an id of its own. */
function nameOf(ref: AnyActorRef): string {
  const config = (logicOf(ref) as { config?: { id?: unknown } }).config;
  if (ref.id === ref.sessionId && typeof config === "object" && typeof config.id === "string") return config.id;
  return ref.id;
}

export function actorMessage(ref: AnyActorRef, sanitizer: Sanitizer, createdAt: number, rootId = rootIdOf(ref)): ActorMessage {
  const name = nameOf(ref);
  return {
    type: "@xstate.actor",
    name,
    definition: definitionOf(ref, name),
    _version: STATELY_INSPECT_VERSION,
    createdAt: String(createdAt),
    id: null,
    rootId,
    parentId: ref._parent?.sessionId,
    sessionId: ref.sessionId,
    snapshot: sanitizer.sanitizeSnapshot(ref.getSnapshot()),
  };
}

/** The message for one xstate inspection event; undefined for the kinds the page does not use. */
export function inspectionMessage(event: InspectionEvent, sanitizer: Sanitizer, createdAt: number): InspectorMessage | undefined {
  switch (event.type) {
    case "@xstate.actor":
      return actorMessage(event.actorRef as AnyActorRef, sanitizer, createdAt, event.rootId);
    case "@xstate.event":
      return {
        type: "@xstate.event",
        event: sanitizer.sanitizeEvent(event.event),
        sourceId: event.sourceRef?.sessionId,
        sessionId: event.actorRef.sessionId,
        _version: STATELY_INSPECT_VERSION,
        createdAt: String(createdAt),
        id: null,
        rootId: event.rootId,
      };
    case "@xstate.snapshot":
      return {
        type: "@xstate.snapshot",
        event: sanitizer.sanitizeEvent(event.event),
        snapshot: sanitizer.sanitizeSnapshot(event.snapshot),
        sessionId: event.actorRef.sessionId,
        _version: STATELY_INSPECT_VERSION,
        createdAt: String(createdAt),
        id: null,
        rootId: event.rootId,
      };
    default:
      return undefined;
  }
}
