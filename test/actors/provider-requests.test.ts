import { describe, expect, it } from "vitest";
import { chooseTarget } from "../../src/actors/provider-requests.js";
import type { CallOrigin, ClientSessionHandle } from "../../src/shared/call-origin.js";

function session(id: string, principal: string | undefined, open = true): ClientSessionHandle {
  return {
    id,
    principal,
    capabilities: () => ({ sampling: {} }),
    isOpen: () => open,
    request: () => Promise.resolve({}),
    notify: () => Promise.resolve(),
  };
}

function origin(of: ClientSessionHandle): CallOrigin {
  return { session: of, extra: { sendRequest: () => Promise.resolve({}) as never, sendNotification: () => Promise.resolve() } };
}

describe("where a provider's request goes", () => {
  const alice1 = session("a1", "alice");
  const alice2 = session("a2", "alice");
  const bob = session("b", "bob");

  it("to the client whose call is in flight (its most recent call when one principal has several)", () => {
    const only = origin(alice1);
    expect(chooseTarget([only], bob, new Set(["alice", "bob"]))).toEqual({ origin: only });
    const later = origin(alice2);
    expect(chooseTarget([origin(alice1), later], undefined, new Set(["alice"]))).toEqual({ origin: later });
  });

  it("never to another principal: calls of two principals in flight are refused", () => {
    const target = chooseTarget([origin(alice1), origin(bob)], bob, new Set(["alice", "bob"]));
    expect(target).toEqual({ refused: expect.stringMatching(/2 different principals/) as unknown });
  });

  it("with no call in flight: the most recent caller while only one principal called, else refused", () => {
    expect(chooseTarget([], alice2, new Set(["alice"]))).toEqual({ session: alice2 });
    expect(chooseTarget([], alice2, new Set(["alice", "bob"]))).toEqual({ refused: expect.stringMatching(/more than one principal/) as unknown });
    expect(chooseTarget([], session("gone", "alice", false), new Set(["alice"]))).toEqual({
      refused: expect.stringMatching(/no client that called this provider is still connected/) as unknown,
    });
    expect(chooseTarget([], undefined, new Set())).toHaveProperty("refused");
  });
});
