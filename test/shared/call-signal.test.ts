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
});
