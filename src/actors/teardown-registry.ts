/**
 * Teardowns that outlive their connection actor: a remote session's DELETE, a container's
 * removal. The actor stops at once; the hangar's shutdown awaits what is still running here, so
 * no session is left open and no container outlives the hangar.
 */
const pending = new Set<Promise<void>>();

/** Tracks `teardown` until it settles; it must never reject (errors are the caller's to log). */
export function trackTeardown(teardown: Promise<void>): void {
  pending.add(teardown);
  void teardown.finally(() => pending.delete(teardown));
}

/** Resolves once every tracked teardown has settled, including ones started meanwhile. */
export async function pendingTeardowns(): Promise<void> {
  while (pending.size > 0) await Promise.allSettled([...pending]);
}
