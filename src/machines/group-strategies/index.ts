import type { GroupStrategy } from "../../config/types.js";
import { leastConnections } from "./least-connections.js";
import { priority } from "./priority.js";
import { roundRobin } from "./round-robin.js";
import { smoothWeightedRoundRobin } from "./smooth-weighted-round-robin.js";
import type { Strategy } from "./types.js";
import { weightedRandom } from "./weighted-random.js";

export * from "./types.js";
export { bestPriority } from "./priority.js";

/** The strategy behind each `strategy:` value of a group. */
export const STRATEGIES: Readonly<Record<GroupStrategy, Strategy>> = {
  round_robin: roundRobin,
  weighted_round_robin: smoothWeightedRoundRobin,
  least_connections: leastConnections,
  random: weightedRandom,
  priority,
};
