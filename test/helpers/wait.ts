/**
 * Waits until `probe` returns something other than undefined/false, checking every few
 * milliseconds, and fails with `what` after `timeoutMs`. For state that real processes change:
 * a bounded wait on a condition, never a fixed sleep.
 */
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5_000, what = "condition"): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Resolves once this turn of the event loop has ended (its check phase: after the I/O callbacks
 * the turn polled, and the ticks and microtasks they set off). For what the code under test
 * defers to the end of a turn (TickWrites, ReadBurst), not for waiting on other processes.
 */
export function turnEnds(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
