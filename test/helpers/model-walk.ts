import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from "xstate";
import { getShortestPaths, getSimplePaths } from "xstate/graph";

/**
 * The project's model-based test helper: walks the REAL chart with xstate/graph and checks an
 * invariant at every state of every path. Internal events (xstate.after.*, xstate.done.actor.*)
 * must be listed by name in `events`, since the walk sends them like any other event.
 */
export interface ModelWalkOptions<TSnapshot extends AnyMachineSnapshot = AnyMachineSnapshot> {
  events: AnyEventObject[];
  input?: unknown;
  /** Collapses contexts that differ only in ways the chart does not care about (keeps the walk finite). */
  serializeState?: (snapshot: TSnapshot, event: AnyEventObject | undefined) => string;
  /**
   * Throws (e.g. with expect) when the snapshot breaks an invariant. `step.path` names the events
   * that led there; `step.previous` and `step.event` describe the last transition, for invariants
   * about what an event may change ("OPEN never forwards a call").
   */
  invariant: (snapshot: TSnapshot, step: ModelStep<TSnapshot>) => void;
  strategy?: "shortest" | "simple";
  limit?: number;
}

export interface ModelStep<TSnapshot> {
  path: string[];
  event: AnyEventObject;
  previous: TSnapshot | undefined;
}

export interface ModelWalkReport {
  paths: number;
  statesChecked: number;
  /** Serialized state values reached, for coverage assertions. */
  valuesReached: Set<string>;
}

export function walkModel<TSnapshot extends AnyMachineSnapshot>(
  machine: AnyStateMachine,
  options: ModelWalkOptions<TSnapshot>,
): ModelWalkReport {
  const traverse = options.strategy === "simple" ? getSimplePaths : getShortestPaths;
  const { serializeState } = options;
  const paths = traverse(machine, {
    events: options.events,
    input: options.input,
    ...(serializeState
      ? {
          serializeState: (snapshot: AnyMachineSnapshot, event: AnyEventObject | undefined) =>
            serializeState(snapshot as TSnapshot, event),
        }
      : {}),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  const valuesReached = new Set<string>();
  let statesChecked = 0;
  for (const path of paths) {
    const names: string[] = [];
    let previous: TSnapshot | undefined;
    for (const step of path.steps) {
      const event = step.event as AnyEventObject;
      names.push(event.type);
      const snapshot = step.state as TSnapshot;
      valuesReached.add(JSON.stringify(snapshot.value));
      options.invariant(snapshot, { path: [...names], event, previous });
      statesChecked += 1;
      previous = snapshot;
    }
  }
  // The issue asks for the count of paths walked to be printed (stderr: vitest shows it per test).
  console.error(
    `model walk of the "${machine.id}" chart: ${paths.length} ${options.strategy ?? "shortest"} paths, ${statesChecked} states checked, ${valuesReached.size} distinct state values`,
  );
  return { paths: paths.length, statesChecked, valuesReached };
}
