import type { Pick, PickContext } from "./types.js";

/** A member drawn at random, each with probability weight / total weight. */
export function weightedRandom({ candidates, memory, random }: PickContext): Pick {
  const total = candidates.reduce((sum, candidate) => sum + candidate.weight, 0);
  let point = random * total;
  for (const candidate of candidates) {
    point -= candidate.weight;
    if (point < 0) return { id: candidate.id, memory };
  }
  // random is below 1, so only rounding gets here: the last member.
  const last = candidates.at(-1);
  if (last === undefined) throw new Error("a strategy was asked to pick from no candidates");
  return { id: last.id, memory };
}
