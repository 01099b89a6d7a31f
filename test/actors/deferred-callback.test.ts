import { describe, expect, it } from "vitest";
import { createActor } from "xstate";
import { deferredCallback } from "../../src/actors/deferred-callback.js";
import { turnEnds, waitFor } from "../helpers/wait.js";

type Ping = { type: "PING"; n: number };

/** A promise the test settles by hand, standing in for a library's import. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("deferredCallback", () => {
  it("runs the body once the library is there, handing over in order the events received meanwhile", async () => {
    const library = deferred<{ prefix: string }>();
    const seen: string[] = [];
    const logic = deferredCallback<{ prefix: string }, Ping, { name: string }>(
      () => library.promise,
      (module, { input, receive }) => {
        seen.push(`start ${input.name}`);
        receive((event) => seen.push(`${module.prefix}${event.n}`));
        return undefined;
      },
      () => undefined,
    );
    const actor = createActor(logic, { input: { name: "a" } }).start();
    actor.send({ type: "PING", n: 1 });
    actor.send({ type: "PING", n: 2 });
    expect(seen).toEqual([]);
    library.resolve({ prefix: "#" });
    await waitFor(() => seen.length === 3, 1_000, "the waiting events");
    actor.send({ type: "PING", n: 3 });
    expect(seen).toEqual(["start a", "#1", "#2", "#3"]);
    actor.stop();
  });

  it("never runs the body of an actor stopped before the library loaded", async () => {
    const library = deferred<object>();
    let started = false;
    const logic = deferredCallback<object, Ping, undefined>(
      () => library.promise,
      () => {
        started = true;
        return undefined;
      },
      () => undefined,
    );
    createActor(logic).start().stop();
    library.resolve({});
    await library.promise;
    await turnEnds();
    expect(started).toBe(false);
  });

  it("runs onLoadError in the body's place when the library cannot load, with the waiting events, and its cleanup on stop", async () => {
    const library = deferred<object>();
    const seen: string[] = [];
    const logic = deferredCallback<object, Ping, undefined>(
      () => library.promise,
      () => undefined,
      (error, { receive }) => {
        seen.push(String(error));
        receive((event) => seen.push(`failed ${event.n}`));
        return () => seen.push("cleaned up");
      },
    );
    const actor = createActor(logic).start();
    actor.send({ type: "PING", n: 1 });
    library.reject(new Error("no such module"));
    await waitFor(() => seen.length === 2, 1_000, "the fallback");
    actor.stop();
    expect(seen).toEqual(["Error: no such module", "failed 1", "cleaned up"]);
  });
});
