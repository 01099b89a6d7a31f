import { nth } from "./round-robin.js";
import type { Candidate, Pick, PickContext } from "./types.js";

/** The member with the fewest calls in flight; ties take turns, so idle members share the load. */
export function leastConnections({ candidates, memory, inFlight }: PickContext): Pick {
  let fewest = Infinity;
  let idlest: Candidate[] = [];
  for (const candidate of candidates) {
    const running = inFlight[candidate.id] ?? 0;
    if (running < fewest) {
      fewest = running;
      idlest = [candidate];
    } else if (running === fewest) idlest.push(candidate);
  }
  return { id: nth(idlest, memory.cursor).id, memory: { ...memory, cursor: memory.cursor + 1 } };
}
