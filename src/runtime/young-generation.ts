import process from "node:process";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";

/**
 * A hangar keeps V8's young generation small: its initial 1 MB semi-spaces through start-up,
 * and at most 2 MB semi-spaces once calls come (V8's own default lets it grow to 16 MB).
 *
 * Start-up — loading modules, parsing the config, building an actor per provider — allocates
 * almost only long-lived objects, and V8 reads that survival rate as a reason to grow the young
 * generation to 16 MB semi-spaces, whose pages then stay resident (≈ 14 MB, a sixth of an idle
 * hangar) until V8's memory reducer gets round to it. So growth is off (growth factor 1) until
 * start-up is over.
 *
 * Serving is different: what a scavenge copies is what is live at that moment — the calls in
 * flight and the audit events waiting for their batch —, about the same however often it runs, so
 * the cost goes with the number of scavenges. With 16 callers over real pipes (bench/pipe-allocation.js,
 * three alternated runs each) 1 MB semi-spaces scavenged every ≈ 105 calls and paused
 * 9.9–10.7 µs per call; 2 MB every ≈ 230 calls and 4.7–5.2 µs; 4 MB 3.9–5.2 µs; 8 MB 2.8–3.7 µs.
 * After start-up (letYoungGenerationServe) the young generation may therefore grow, one step, to
 * 2 MB semi-spaces: half the scavenging for ≈ 2 MB more resident while busy. V8 can only be told
 * the growth factor at run time (the maximum is fixed when the isolate is built), so a check
 * every CHECK_MS allows growth below the size and stops it there; V8 itself shrinks the young
 * generation again when the hangar goes quiet (its memory reducer), and the check then allows
 * the step again.
 *
 * Imported first by the entry point (main.ts), before any other module loads. Someone who
 * tunes the young generation themselves (--max-semi-space-size in NODE_OPTIONS…) is left alone.
 */
const V8_DEFAULT_GROWTH_FACTOR = 2;
const SMALL_GROWTH_FACTOR = 1;

const tunedByUser = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].some((arg) => arg.includes("semi-space"));
/** The growth factor this module asked V8 for; undefined: V8's (or the user's) own. */
let wantedGrowthFactor: number | undefined = tunedByUser ? undefined : SMALL_GROWTH_FACTOR;
if (wantedGrowthFactor !== undefined) v8.setFlagsFromString(`--semi-space-growth-factor=${wantedGrowthFactor}`);

/** The young generation's size (both semi-spaces, as V8 reports new_space) the hangar lets it grow to while serving. */
const SERVING_NEW_SPACE_BYTES = 4 * 1024 * 1024;
/**
 * How often the size is checked while the event loop is busy. A step of growth takes scavenges
 * surviving as many bytes as the young generation holds (≈ 10–20 under load, a few hundred ms),
 * so the check stops it at 2 MB semi-spaces, at worst one step later; a check costs ≈ 5 µs.
 * While the hangar waits nothing grows, and it checks only once a second (V8 shrinks the young
 * generation when idle; the check then allows the step again).
 */
const BUSY_CHECK_MS = 100;
const IDLE_CHECK_MS = 1_000;
/** The event loop's busy share over the last interval above which the next check comes soon. */
const BUSY_UTILIZATION = 0.02;

/**
 * After start-up: the young generation may grow to SERVING_NEW_SPACE_BYTES, no further (see
 * above). Nothing when the user sizes it themselves, or for the one-shot commands
 * (letYoungGenerationGrow). The checks run on an unref'd timer: never what keeps the process alive.
 */
export function letYoungGenerationServe(): void {
  if (wantedGrowthFactor !== SMALL_GROWTH_FACTOR) return;
  let since = performance.eventLoopUtilization();
  const check = (): void => {
    const wanted = newSpaceBytes() < SERVING_NEW_SPACE_BYTES ? V8_DEFAULT_GROWTH_FACTOR : SMALL_GROWTH_FACTOR;
    if (wanted !== wantedGrowthFactor) {
      wantedGrowthFactor = wanted;
      v8.setFlagsFromString(`--semi-space-growth-factor=${wanted}`);
    }
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, since).utilization >= BUSY_UTILIZATION;
    since = now;
    setTimeout(check, busy ? BUSY_CHECK_MS : IDLE_CHECK_MS).unref();
  };
  check();
}

function newSpaceBytes(): number {
  for (const space of v8.getHeapSpaceStatistics()) if (space.space_name === "new_space") return space.space_size;
  return 0;
}

/** For the one-shot commands (audit queries over a large file): V8 sizes the young generation as it sees fit. */
export function letYoungGenerationGrow(): void {
  if (tunedByUser) return;
  wantedGrowthFactor = V8_DEFAULT_GROWTH_FACTOR;
  v8.setFlagsFromString(`--semi-space-growth-factor=${wantedGrowthFactor}`);
}

/**
 * Asks V8 again for the growth factor set above. Building an isolate (a Worker's, on its own
 * thread: V8's Heap::ConfigureHeap) resets the process-wide --semi-space-growth-factor to 2 or
 * more, and the main thread's young generation then grows to 16 MB semi-spaces (≈ 30 MB more
 * resident). Call it once the worker is online — right after `new Worker` is too early, the
 * isolate is not built yet.
 */
export function reapplyYoungGenerationSize(): void {
  if (wantedGrowthFactor !== undefined) v8.setFlagsFromString(`--semi-space-growth-factor=${wantedGrowthFactor}`);
}
