import process from "node:process";

/** A listener as addEventListener takes one: a function, or an object with handleEvent. */
type Listener = Parameters<EventTarget["addEventListener"]>[1];
type AddOptions = Parameters<EventTarget["addEventListener"]>[2];
type RemoveOptions = Parameters<EventTarget["removeEventListener"]>[2];

interface Registered {
  type: string;
  listener: Listener;
  capture: boolean;
  once: boolean;
}

/**
 * The cancellation signal of one client call on the tools/call short route: an `AbortSignal` as
 * the hangar's consumers use one (`aborted`, `reason`, `throwIfAborted`, `onabort`, the "abort"
 * event with function or object listeners, `once`, `capture`, a `signal` that removes the
 * listener), with a listener list of its own.
 *
 * Why not `new AbortController().signal`: Node 20 builds every AbortSignal as an EventTarget whose
 * prototype is swapped afterwards, which leaves a slow object — ≈ 2.5 µs and a share of every
 * scavenge per signal, ≈ 8 µs of CPU per call in all (`bench/front-path.js`), for a signal that
 * almost never fires. Why not an EventTarget subclass (as it was): an EventTarget builds two maps
 * when it is made and a listener record per listener, ≈ 450 bytes per signal and ≈ 550 per
 * listener, and every call's signal gets one (the connection's pending request): ≈ 1 KB of
 * garbage per call. Here a signal is one small object until something listens.
 *
 * What it is not: an instance of AbortSignal or EventTarget, which only Node's own builders give;
 * an API that insists on one (fetch, `AbortSignal.any`) needs a real signal that follows this
 * one. Listeners get the "abort" Event with no `target` set, and function listeners are called
 * with the signal as `this`, as EventTarget calls them.
 */
export class CallSignal implements AbortSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: AbortSignal, event: Event) => unknown) | null = null;
  private listeners: Registered[] | undefined;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(type: string, listener: Listener | null, options?: AddOptions): void {
    if (listener === null) return;
    const capture = typeof options === "boolean" ? options : options?.capture === true;
    const once = typeof options === "object" && options.once === true;
    const removeOn = typeof options === "object" ? options.signal : undefined;
    if (removeOn?.aborted === true) return;
    const listeners = (this.listeners ??= []);
    if (indexOf(listeners, type, listener, capture) >= 0) return;
    listeners.push({ type, listener, capture, once });
    removeOn?.addEventListener("abort", () => {
      this.removeEventListener(type, listener, { capture });
    }, { once: true });
  }

  removeEventListener(type: string, listener: Listener | null, options?: RemoveOptions): void {
    const listeners = this.listeners;
    if (listeners === undefined || listener === null) return;
    const capture = typeof options === "boolean" ? options : options?.capture === true;
    const at = indexOf(listeners, type, listener, capture);
    if (at >= 0) listeners.splice(at, 1);
  }

  /** Calls the listeners of `event.type` in the order they were added; one that throws is reported as uncaught, as EventTarget does, and the rest still run. */
  dispatchEvent(event: Event): boolean {
    const listeners = this.listeners?.filter((entry) => entry.type === event.type) ?? [];
    for (const entry of listeners) {
      // A listener removed by an earlier one is not called (EventTarget's rule too).
      if (!this.listeners?.includes(entry)) continue;
      if (entry.once) this.removeEventListener(entry.type, entry.listener, { capture: entry.capture });
      try {
        if (typeof entry.listener === "function") entry.listener.call(this, event);
        else entry.listener.handleEvent(event);
      } catch (error) {
        process.nextTick(() => {
          throw error;
        });
      }
    }
    return !event.defaultPrevented;
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

/** Where a listener is registered (EventTarget's identity: type, listener and capture), or -1. */
function indexOf(listeners: readonly Registered[], type: string, listener: Listener, capture: boolean): number {
  for (let at = 0; at < listeners.length; at++) {
    const entry = listeners[at] as Registered;
    if (entry.type === type && entry.listener === listener && entry.capture === capture) return at;
  }
  return -1;
}
