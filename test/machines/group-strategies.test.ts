import { describe, expect, it } from "vitest";
import { INITIAL_MEMORY, STRATEGIES, type Candidate, type StrategyMemory } from "../../src/machines/group-strategies/index.js";
import type { GroupStrategy } from "../../src/config/types.js";
import { seededRandom } from "../helpers/resilience.js";

const a: Candidate = { id: "a", weight: 5, priority: 2 };
const b: Candidate = { id: "b", weight: 1, priority: 1 };
const c: Candidate = { id: "c", weight: 1, priority: 3 };

/** Runs `count` picks, threading the strategy's memory through, and returns the sequence. */
function picks(
  strategy: GroupStrategy,
  candidates: Candidate[],
  count: number,
  options: { inFlight?: Record<string, number>; random?: () => number; memory?: StrategyMemory } = {},
): string[] {
  let memory = options.memory ?? INITIAL_MEMORY;
  const random = options.random ?? (() => 0.5);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const pick = STRATEGIES[strategy]({ candidates, memory, inFlight: options.inFlight ?? {}, random: random() });
    out.push(pick.id);
    memory = pick.memory;
  }
  return out;
}

function tally(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

describe("group strategies (pure)", () => {
  it("round robin takes each member in turn and wraps when the rotation shrinks", () => {
    expect(picks("round_robin", [a, b, c], 6)).toEqual(["a", "b", "c", "a", "b", "c"]);
    expect(picks("round_robin", [a, c], 3, { memory: { cursor: 5, currentWeights: {} } })).toEqual(["c", "a", "c"]);
  });

  it("smooth weighted round robin interleaves like nginx: 5:1:1 gives a a b a c a a", () => {
    // The sequence from nginx's own description of the algorithm (weights 5, 1, 1).
    expect(picks("weighted_round_robin", [a, b, c], 7)).toEqual(["a", "a", "b", "a", "c", "a", "a"]);
    expect(tally(picks("weighted_round_robin", [a, b, c], 700))).toEqual({ a: 500, b: 100, c: 100 });
  });

  it("least connections picks the member with the fewest calls in flight, ties taking turns", () => {
    expect(picks("least_connections", [a, b, c], 3, { inFlight: { a: 2, b: 0, c: 1 } })).toEqual(["b", "b", "b"]);
    expect(picks("least_connections", [a, b, c], 4, { inFlight: { a: 1, b: 0, c: 0 } })).toEqual(["b", "c", "b", "c"]);
  });

  it("weighted random follows the weights", () => {
    const counts = tally(picks("random", [a, b], 6_000, { random: seededRandom(42) }));
    expect(Math.abs((counts.a ?? 0) / 6_000 - 5 / 6)).toBeLessThan(0.02);
    expect(picks("random", [a, b], 1, { random: () => 0 })).toEqual(["a"]);
    expect(picks("random", [a, b], 1, { random: () => 0.9999 })).toEqual(["b"]);
  });

  it("priority sends everything to the lowest number; equals take turns", () => {
    expect(tally(picks("priority", [a, b, c], 50))).toEqual({ b: 50 });
    expect(tally(picks("priority", [a, c], 50))).toEqual({ a: 50 });
    const twin: Candidate = { id: "twin", weight: 1, priority: 1 };
    expect(picks("priority", [a, b, twin], 4)).toEqual(["b", "twin", "b", "twin"]);
  });
});
