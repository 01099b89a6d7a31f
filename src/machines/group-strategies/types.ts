/**
 * The strategies' common shape: pure functions from the members in rotation (and what the
 * strategy remembers between picks) to the member that takes the next call. No I/O, no clock;
 * randomness comes in as a number, so every pick can be replayed in a test.
 */
export interface Candidate {
  id: string;
  /** weighted_round_robin and random: the member's share of the traffic. */
  weight: number;
  /** priority: the lowest number wins. */
  priority: number;
}

/** What a strategy remembers between picks (kept in the group's context). */
export interface StrategyMemory {
  /** round_robin, and the tie-breaks of least_connections and priority: picks so far. */
  cursor: number;
  /** weighted_round_robin: each member's current weight (the nginx algorithm's state). */
  currentWeights: Readonly<Record<string, number>>;
}

export interface PickContext {
  /** Members in rotation that may take this call, in config order; never empty. */
  candidates: readonly Candidate[];
  memory: StrategyMemory;
  /** Calls each member is running for the group now (least_connections). */
  inFlight: Readonly<Record<string, number>>;
  /** A number in [0, 1) (random). */
  random: number;
}

export interface Pick {
  id: string;
  memory: StrategyMemory;
}

export type Strategy = (context: PickContext) => Pick;

export const INITIAL_MEMORY: StrategyMemory = { cursor: 0, currentWeights: {} };
