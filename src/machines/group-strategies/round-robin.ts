import type { Candidate, Pick, PickContext } from "./types.js";

/** Each member in turn. */
export function roundRobin({ candidates, memory }: PickContext): Pick {
  return { id: nth(candidates, memory.cursor).id, memory: { ...memory, cursor: memory.cursor + 1 } };
}

/** The cursor-th candidate, wrapping around (the rotation may have shrunk since the last pick). */
export function nth(candidates: readonly Candidate[], cursor: number): Candidate {
  const chosen = candidates[cursor % candidates.length];
  if (chosen === undefined) throw new Error("a strategy was asked to pick from no candidates");
  return chosen;
}
