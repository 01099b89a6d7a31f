import { nth } from "./round-robin.js";
import type { Candidate, Pick, PickContext } from "./types.js";

/**
 * The best member: lowest priority number; the next priority gets calls only when every better
 * member is out of rotation. Members sharing the best number take turns.
 */
export function priority({ candidates, memory }: PickContext): Pick {
  const best = bestPriority(candidates);
  const top = candidates.filter((candidate) => candidate.priority === best);
  return { id: nth(top, memory.cursor).id, memory: top.length > 1 ? { ...memory, cursor: memory.cursor + 1 } : memory };
}

/** The lowest priority number among the candidates (Infinity when there are none). */
export function bestPriority(candidates: readonly Candidate[]): number {
  let best = Infinity;
  for (const candidate of candidates) if (candidate.priority < best) best = candidate.priority;
  return best;
}
