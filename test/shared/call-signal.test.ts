import { describe, expect, it } from "vitest";
import { CallSignal } from "../../src/shared/call-signal.js";

/** What the hangar's consumers of a call's signal see, side by side with a real AbortSignal. */
function observe(signal: AbortSignal, abort: (reason?: unknown) => void, reason?: unknown) {
  const seen: string[] = [];
  signal.onabort = () => seen.push("onabort");
  signal.addEventListener("abort", () => seen.push("function"), { once: true });
  signal.addEventListener("abort", { handleEvent: (event: Event) => seen.push(`object ${event.type}`) });
  const removed = (): void => {
    seen.push("removed listener");
  };
  signal.addEventListener("abort", removed);
  signal.removeEventListener("abort", removed);
  const before = { aborted: signal.aborted, throws: throwsOf(signal) };
  abort(reason);
  abort("again");
  return { before, seen, aborted: signal.aborted, reason: signal.reason as unknown, throws: throwsOf(signal) };
}

function throwsOf(signal: AbortSignal): unknown {
  try {
    signal.throwIfAborted();
    return "nothing";
  } catch (error) {
    return error;
  }
}

describe("CallSignal", () => {
  it("behaves as an AbortController's signal for what the hangar uses", () => {
    for (const reason of ["changed my mind", undefined]) {
      const real = new AbortController();
      const own = new CallSignal();
      const expected = observe(real.signal, (r) => {
        real.abort(r);
      }, reason);
      const actual = observe(own, (r) => {
        own.abort(r);
      }, reason);
      expect(actual.before).toEqual(expected.before);
      expect(actual.aborted).toBe(true);
      expect(new Set(actual.seen)).toEqual(new Set(expected.seen));
      if (reason === undefined) {
        expect(actual.reason).toBeInstanceOf(DOMException);
        expect((actual.reason as DOMException).name).toBe("AbortError");
        expect(actual.throws).toBe(actual.reason);
      } else {
        expect(actual.reason).toBe(reason);
        expect(actual.throws).toBe(reason);
      }
    }
  });

  it("keeps EventTarget's rules for listeners: one registration per listener and capture, once, removal by a signal or by an earlier listener, `this`", () => {
    /** The order listeners of `signal` are called in when it aborts, registered the same way on each. */
    function calls(signal: AbortSignal, abort: () => void): string[] {
      const seen: string[] = [];
      const twice = (): void => {
        seen.push("twice");
      };
      signal.addEventListener("abort", twice);
      signal.addEventListener("abort", twice);
      signal.addEventListener("abort", twice, { capture: true });
      const removedByCapture = (): void => {
        seen.push("removed by capture");
      };
      signal.addEventListener("abort", removedByCapture, true);
      signal.removeEventListener("abort", removedByCapture);
      signal.removeEventListener("abort", removedByCapture, { capture: true });
      signal.addEventListener("other", () => seen.push("other type"));
      const remover = new AbortController();
      signal.addEventListener("abort", () => seen.push("removed by its signal"), { signal: remover.signal });
      remover.abort();
      const gone = new AbortController();
      gone.abort();
      signal.addEventListener("abort", () => seen.push("signal aborted already"), { signal: gone.signal });
      const later = (): void => {
        seen.push("removed by an earlier listener");
      };
      signal.addEventListener("abort", () => {
        seen.push("removes the next");
        signal.removeEventListener("abort", later);
      });
      signal.addEventListener("abort", later);
      signal.addEventListener("abort", function (this: unknown) {
        seen.push(this === signal ? "this is the signal" : "this is something else");
      });
      signal.addEventListener("abort", () => seen.push("once"), { once: true });
      abort();
      signal.dispatchEvent(new Event("abort"));
      return seen;
    }
    const real = new AbortController();
    const own = new CallSignal();
    expect(calls(own, () => { own.abort(); })).toEqual(calls(real.signal, () => { real.abort(); }));
  });
});
