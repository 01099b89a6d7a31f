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
