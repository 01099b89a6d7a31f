import type { Pick, PickContext } from "./types.js";

/**
 * Smooth weighted round robin, as nginx does it: every pick adds each member's weight to its
 * current weight, the member with the highest current weight wins, and the winner's current
 * weight drops by the total. Weights 3:1 give a, a, b, a — interleaved, never a burst of a's.
 */
export function smoothWeightedRoundRobin({ candidates, memory }: PickContext): Pick {
  const current: Record<string, number> = {};
  let total = 0;
  let best: string | undefined;
  let bestWeight = -Infinity;
  for (const candidate of candidates) {
    const weight = (memory.currentWeights[candidate.id] ?? 0) + candidate.weight;
    current[candidate.id] = weight;
    total += candidate.weight;
    // Strictly greater: ties go to the member listed first, as in nginx.
    if (weight > bestWeight) {
      best = candidate.id;
      bestWeight = weight;
    }
  }
  if (best === undefined) throw new Error("a strategy was asked to pick from no candidates");
  current[best] = bestWeight - total;
  return { id: best, memory: { ...memory, currentWeights: current } };
}
