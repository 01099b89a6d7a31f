import process from "node:process";
import v8 from "node:v8";

/**
 * A hangar keeps V8's young generation at its initial size (1 MB semi-spaces). Start-up —
 * loading modules, parsing the config, building an actor per provider — allocates almost only
 * long-lived objects, and V8 reads that survival rate as a reason to grow the young generation
 * to 16 MB semi-spaces, whose pages then stay resident (≈ 14 MB, a sixth of an idle hangar) until
 * V8's memory reducer gets round to it. Calls allocate little that survives, so scavenging 1 MB
 * instead of 16 costs nothing measurable (the bench's CPU per call: 320–350 µs either way).
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
