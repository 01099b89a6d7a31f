import type { RestartSpec } from "../../config/types.js";

/**
 * The recovery saga's arithmetic, kept apart from the chart so it can be tested on its own.
 * Delay for restart number `attempt` (0-based): initial × multiplier^attempt, capped at
 * max_delay_s, then spread by ±20 % jitter (so providers that crashed together do not restart
 * in lockstep) and capped again.
 */
export const JITTER = 0.2;

export function restartsInWindow(restartTimes: readonly number[], windowS: number, now: number): number {
  const since = now - windowS * 1000;
  return restartTimes.filter((at) => at > since).length;
}

export function backoffDelayMs(restart: Pick<RestartSpec, "initialDelayS" | "multiplier" | "maxDelayS">, attempt: number, random: number): number {
  const base = Math.min(restart.initialDelayS * restart.multiplier ** attempt, restart.maxDelayS) * 1000;
  const jittered = base * (1 - JITTER + 2 * JITTER * random);
  return Math.round(Math.min(jittered, restart.maxDelayS * 1000));
}
