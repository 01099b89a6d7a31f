import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from "xstate";

/**
 * Diagrams generated from the real charts, so paper and running code cannot disagree.
 *
 * Pure: everything here reads the machine's state-node tree (`machine.root`) and returns text.
 * Nothing is executed, nothing is written.
 */

export interface ChartDiagramOptions {
  /** Mermaid layout direction; Mermaid's default (top to bottom) when omitted. */
  direction?: "TB" | "BT" | "LR" | "RL";
  /**
   * Put a transition's description on its arrow when it has at most this many characters.
   * 0 (the default) never does: the transition table carries every description.
   */
  maxArrowDescription?: number;
  /** Also draw transitions without a target (actions only) as self-loops. Default false: table only. */
  includeTargetless?: boolean;
  /** Draw a note on each state that invokes actors ("invokes connection"). Default true. */
  showInvokes?: boolean;
  /**
   * States to highlight (an actor's current states), as paths below the root
   * (`lifecycle.running.serving.health.READY`; see `stateValuePaths`). Mermaid styles only simple
   * states, so composite ones are skipped. Adds `classDef active …` and `class <state> active`.
   */
  active?: readonly string[];
}

/** The fill of highlighted states. */
export const ACTIVE_STATE_STYLE = "fill:#2e7d32,color:#ffffff,stroke:#1b5e20,stroke-width:3px";

/**
 * The leaf paths of a state value: `{ lifecycle: "COLD", breaker: "CLOSED" }` →
 * `["lifecycle.COLD", "breaker.CLOSED"]` — what `active` takes.
 */
export function stateValuePaths(value: unknown, prefix: readonly string[] = []): string[] {
  if (typeof value === "string") return [[...prefix, value].join(".")];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) => stateValuePaths(inner, [...prefix, key]));
}

/** One transition of a chart, described for people. */
export interface ChartTransition {
  /** The source state's path below the root (`running.READY`); the machine id for the root itself. */
  from: string;
  /** The raw event type (`xstate.after.idleTtl.provider.running.READY`). */
  eventType: string;
  /** The event as shown (`after idleTtl`). */
  event: string;
  /** The guard's name, when the transition is guarded. */
  guard: string | undefined;
  /** Target paths; empty for a transition with no target (actions only, the state is not left). */
  to: string[];
  /** Whether the target is re-entered (exit and entry actions run, timers restart). */
  reenter: boolean;
  actions: string[];
  description: string | undefined;
}

/** One state of a chart, described for people. */
export interface ChartState {
  path: string;
  type: string;
  initial: boolean;
  description: string | undefined;
  /** Invoked actors, as `id` or `id (src)` when the source has another name. */
  invokes: string[];
}

/** Every transition of the chart, depth first in document order (the root's own transitions first). */
export function chartTransitions(machine: AnyStateMachine): ChartTransition[] {
  return allNodes(machine.root).flatMap((node) => nodeTransitions(node).map((t) => describeTransition(machine, t)));
}

/** Every state below the root, depth first in document order. */
export function chartStates(machine: AnyStateMachine): ChartState[] {
  return allNodes(machine.root)
    .filter((node) => node !== machine.root)
    .map((node) => ({
      path: pathOf(machine, node),
      type: node.type,
      initial: isInitial(node),
      description: node.description,
      invokes: invokesOf(node),
    }));
}

/**
 * A Mermaid `stateDiagram-v2` of the chart: nested composite states, `[*] -->` initial arrows,
 * `--> [*]` for final states, one arrow per transition with a target labelled `event [guard]`,
 * and a note on each state that invokes actors. Transitions without a target (actions only) and
 * the root's own transitions are left off unless asked for; `chartTransitionTable` lists them all.
 */
export function chartToMermaid(machine: AnyStateMachine, options: ChartDiagramOptions = {}): string {
  const ids = mermaidIds(machine);
  const idOf = (node: AnyStateNode): string => {
    const id = ids.get(node);
    if (id === undefined) throw new Error(`state node #${node.id} is not part of machine '${machine.id}'`);
    return id;
  };
  const showInvokes = options.showInvokes ?? true;
  const maxDescription = options.maxArrowDescription ?? 0;

  // Each arrow is written inside the composite that holds both ends, or at the top level. Mermaid
  // places a state in the last composite that mentions it, so an arrow must never name a state
  // from inside another composite block.
  const edges = new Map<AnyStateNode, string[]>();
  const addEdge = (scope: AnyStateNode, line: string): void => {
    const list = edges.get(scope) ?? [];
    list.push(line);
    edges.set(scope, list);
  };
  for (const node of allNodes(machine.root)) {
    if (node === machine.root) continue;
    for (const t of nodeTransitions(node)) {
      const targets = t.target ?? [];
      const label = arrowLabel(machine, t, maxDescription);
      if (targets.length === 0) {
        if (options.includeTargetless) addEdge(scopeOf(machine, node), `${idOf(node)} --> ${idOf(node)} : ${label}`);
        continue;
      }
      for (const target of targets) {
        const scope = target === node || target.parent === node.parent ? scopeOf(machine, node) : machine.root;
        addEdge(scope, `${idOf(node)} --> ${idOf(target)} : ${label}`);
      }
    }
  }

  const lines: string[] = [
    "stateDiagram-v2",
    `  %% Generated from the "${mermaidText(machine.id)}" chart by chartToMermaid. Do not edit by hand.`,
  ];
  if (!options.includeTargetless) {
    lines.push("  %% Transitions without a target (actions only) are listed in the transition table, not drawn.");
  }
  if (options.direction) lines.push(`  direction ${options.direction}`);

  const renderChildren = (parent: AnyStateNode, depth: number): void => {
    const pad = "  ".repeat(depth);
    const children = childrenOf(parent);
    if (parent.type === "compound") {
      for (const target of parent.initial.target) lines.push(`${pad}[*] --> ${idOf(target)}`);
    }
    children.forEach((child, index) => {
      // Regions of a parallel state are separated by `--` (not possible at the top level).
      if (index > 0 && parent.type === "parallel" && parent !== machine.root) lines.push(`${pad}--`);
      const id = idOf(child);
      if (childrenOf(child).length > 0) {
        lines.push(`${pad}state ${id} {`);
        renderChildren(child, depth + 1);
        lines.push(`${pad}}`);
      } else {
        const label = stateLabel(child);
        lines.push(label === id ? `${pad}${id}` : `${pad}state "${mermaidText(label)}" as ${id}`);
      }
    });
    // Notes and final arrows; those of regions of parallel states go to the top level (parallel
    // blocks hold only their regions).
    for (const node of allNodes(machine.root)) {
      if (node === machine.root || scopeOf(machine, node) !== parent) continue;
      const invokes = invokesOf(node);
      if (showInvokes && invokes.length > 0) {
        lines.push(`${pad}note right of ${idOf(node)} : ${mermaidText(`invokes ${invokes.join(", ")}`)}`);
      }
      if (node.type === "final") lines.push(`${pad}${idOf(node)} --> [*]`);
    }
    for (const line of edges.get(parent) ?? []) lines.push(`${pad}${line}`);
  };
  renderChildren(machine.root, 1);
  const active = activeLeaves(machine, options.active ?? []);
  if (active.length > 0) {
    lines.push(`  classDef active ${ACTIVE_STATE_STYLE}`);
    for (const node of active) lines.push(`  class ${idOf(node)} active`);
  }
  return `${lines.join("\n")}\n`;
}

/** The simple states named by `paths` (unknown paths and composite states are left out). */
function activeLeaves(machine: AnyStateMachine, paths: readonly string[]): AnyStateNode[] {
  const found: AnyStateNode[] = [];
  for (const path of paths) {
    let node: AnyStateNode | undefined = machine.root;
    for (const key of path.split(".")) node = node?.states[key];
    if (node && node !== machine.root && childrenOf(node).length === 0 && !found.includes(node)) found.push(node);
  }
  return found;
}

/**
 * A Markdown table of every transition (targetless ones included): from, event, guard, to,
 * actions, description.
 */
export function chartTransitionTable(machine: AnyStateMachine): string {
  const rows = chartTransitions(machine).map((t) => {
    const to =
      t.to.length === 0 ? "_(stays; actions only)_" : `${t.to.map(code).join(", ")}${t.reenter ? " (re-entered)" : ""}`;
    return [
      t.from === machine.id ? `${code(t.from)} (any state)` : code(t.from),
      code(t.event),
      t.guard === undefined ? "" : code(t.guard),
      to,
      t.actions.map(code).join(", "),
      cell(t.description ?? ""),
    ];
  });
  return markdownTable(["From", "Event", "Guard", "To", "Actions", "Description"], rows);
}

/** A Markdown table of every state: path, type, description, invoked actors. */
export function chartStateTable(machine: AnyStateMachine): string {
  const rows = chartStates(machine).map((s) => [
    code(s.path),
    s.initial ? `${s.type}, initial` : s.type,
    cell(s.description ?? ""),
    s.invokes.map(code).join(", "),
  ]);
  return markdownTable(["State", "Type", "Description", "Invokes"], rows);
}

/**
 * The event as people read it: `xstate.after.idleTtl.provider.running.READY` → `after idleTtl`,
 * `xstate.after.500.m.a` → `after 500ms`, `xstate.done.actor.fetch` → `done fetch`,
 * `xstate.error.actor.fetch` → `error fetch`, `xstate.done.state.m.a` → `done a`; others unchanged.
 * `sourceId`, the id of the state that owns the transition, lets delays that contain dots be cut
 * off exactly.
 */
export function shortEventLabel(eventType: string, sourceId?: string): string {
  const after = "xstate.after.";
  if (eventType.startsWith(after)) {
    const rest = eventType.slice(after.length);
    const delay =
      sourceId !== undefined && rest.endsWith(`.${sourceId}`)
        ? rest.slice(0, rest.length - sourceId.length - 1)
        : rest.split(".")[0] ?? rest;
    return /^\d+$/.test(delay) ? `after ${delay}ms` : `after ${delay}`;
  }
  const prefixes: [string, string][] = [
    ["xstate.done.actor.", "done"],
    ["xstate.error.actor.", "error"],
    ["xstate.snapshot.", "snapshot"],
  ];
  for (const [prefix, word] of prefixes) {
    if (eventType.startsWith(prefix)) return `${word} ${eventType.slice(prefix.length)}`;
  }
  const doneState = "xstate.done.state.";
  if (eventType.startsWith(doneState)) return `done ${eventType.slice(doneState.length).split(".").at(-1) ?? ""}`.trim();
  return eventType;
}

// ---------------------------------------------------------------------------------------------

/** The node and all its descendants, depth first in document order. */
function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...childrenOf(node).flatMap(allNodes)];
}

function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states);
}

/** The node's own transitions: `on`, `after` and invoke `onDone`/`onError`, then `always`. */
function nodeTransitions(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

function describeTransition(machine: AnyStateMachine, t: AnyTransitionDefinition): ChartTransition {
  const eventType = eventTypeOf(t);
  return {
    from: pathOf(machine, t.source),
    eventType,
    event: eventType === "" ? "always" : shortEventLabel(eventType, t.source.id),
    guard: describeGuard(t.guard),
    to: (t.target ?? []).map((target) => pathOf(machine, target)),
    reenter: t.reenter,
    actions: t.actions.map(describeAction),
    description: t.description,
  };
}

/** `always` transitions carry an empty event type. */
function eventTypeOf(t: AnyTransitionDefinition): string {
  const type: unknown = t.eventType;
  return typeof type === "string" ? type : "";
}

function arrowLabel(machine: AnyStateMachine, t: AnyTransitionDefinition, maxDescription: number): string {
  const described = describeTransition(machine, t);
  let label = described.guard === undefined ? described.event : `${described.event} [${described.guard}]`;
  const description = described.description;
  if (description !== undefined && description.length <= maxDescription) label += ` / ${description}`;
  return mermaidText(label);
}

function pathOf(machine: AnyStateMachine, node: AnyStateNode): string {
  return node === machine.root ? machine.id : node.path.join(".");
}

function isInitial(node: AnyStateNode): boolean {
  const parent = node.parent;
  return parent?.type === "compound" && parent.initial.target.includes(node);
}

/** The actors a state invokes: `id`, or `id (src)` when the logic is registered under another name. */
function invokesOf(node: AnyStateNode): string[] {
  return node.invoke.map((inv) => (typeof inv.src === "string" && inv.src !== inv.id ? `${inv.id} (${inv.src})` : inv.id));
}

function stateLabel(node: AnyStateNode): string {
  if (node.type === "history") return node.history === "deep" ? "H*" : "H";
  return node.key;
}

/** Names people can read for guards: referenced guards by name, `and`/`or`/`not` spelled out. */
function describeGuard(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === "string") return guard;
  if (typeof guard === "function") {
    const nested = (guard as { guards?: unknown }).guards;
    if (Array.isArray(nested)) {
      const parts = (nested as unknown[]).map((g) => describeGuard(g) ?? "?");
      return guard.name === "not" ? `!${parts.join(", ")}` : `${guard.name}(${parts.join(", ")})`;
    }
    const stateValue = (guard as { stateValue?: unknown }).stateValue;
    if (stateValue !== undefined) return `in(${JSON.stringify(stateValue)})`;
    return guard.name === "" || guard.name === "guard" ? "inline guard" : guard.name;
  }
  if (typeof guard === "object" && guard !== null && "type" in guard && typeof guard.type === "string") return guard.type;
  return "guard";
}

/** Names for actions: referenced actions by name, built-ins (`assign`, `sendTo`, …) by kind. */
function describeAction(action: unknown): string {
  if (typeof action === "string") return action;
  if (typeof action === "function") {
    const type = (action as { type?: unknown }).type;
    if (typeof type === "string") return type.replace(/^xstate\./, "");
    return action.name === "" || action.name === "actions" ? "inline action" : action.name;
  }
  if (typeof action === "object" && action !== null && "type" in action && typeof action.type === "string") return action.type;
  return "action";
}

/** The composite an arrow or note of `node` is written in: its parent, unless that is the root or parallel. */
function scopeOf(machine: AnyStateMachine, node: AnyStateNode): AnyStateNode {
  const parent = node.parent;
  if (parent === undefined || parent.type === "parallel") return machine.root;
  return parent;
}

const MERMAID_KEYWORDS = new Set(["state", "note", "end", "direction", "class", "classdef", "style", "as", "hide", "click"]);

/**
 * Mermaid ids: the state's key where that is unique in the chart (so the source reads like the
 * chart), otherwise its path joined with `_`. Only letters, digits and `_`.
 */
function mermaidIds(machine: AnyStateMachine): Map<AnyStateNode, string> {
  const nodes = allNodes(machine.root).filter((node) => node !== machine.root);
  const sanitize = (text: string): string => {
    let id = text.replace(/[^A-Za-z0-9_]/g, "_");
    if (/^\d/.test(id) || id === "") id = `s_${id}`;
    if (MERMAID_KEYWORDS.has(id.toLowerCase())) id = `${id}_`;
    return id;
  };
  const keyCounts = new Map<string, number>();
  for (const node of nodes) {
    const id = sanitize(node.key);
    keyCounts.set(id, (keyCounts.get(id) ?? 0) + 1);
  }
  const ids = new Map<AnyStateNode, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const byKey = sanitize(node.key);
    let id = keyCounts.get(byKey) === 1 ? byKey : sanitize(node.path.join("_"));
    for (let n = 2; used.has(id); n += 1) id = `${id}_${n}`;
    used.add(id);
    ids.set(node, id);
  }
  return ids;
}

/** Text safe on a Mermaid arrow or note: no characters that end or open a statement. */
function mermaidText(text: string): string {
  return text
    .replace(/[:;#{}"<>\r\n]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function code(text: string): string {
  return `\`${cell(text)}\``;
}

function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}
