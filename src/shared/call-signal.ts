/**
 * The cancellation signal of one client call on the tools/call short route: an `AbortSignal` as
 * the hangar's consumers use one (`aborted`, `reason`, `throwIfAborted`, `onabort`, the "abort"
 * event with function or object listeners), built as a plain EventTarget subclass.
 *
 * Why not `new AbortController().signal`: Node 20 builds every AbortSignal as an EventTarget whose
 * prototype is swapped afterwards, which leaves a slow object — ≈ 2.5 µs and a share of every
 * scavenge per signal, ≈ 8 µs of CPU per call in all (`bench/front-path.js`), for a signal that
 * almost never fires. An EventTarget subclass costs ≈ 0.05 µs. What it is not: an instance of
 * AbortSignal, which only Node's own builders give; an API that insists on one (fetch,
 * `AbortSignal.any`) needs a real signal that follows this one.
 */
export class CallSignal extends EventTarget implements AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Aborts once, with `reason` (an AbortError DOMException when none is given), as AbortController.abort does. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException("This operation was aborted", "AbortError");
    const event = new Event("abort");
    this.onabort?.call(this, event);
    this.dispatchEvent(event);
  }
}
