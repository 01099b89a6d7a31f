import { describe, expect, it } from "vitest";
import { createActor, fromCallback } from "xstate";
import { HIDDEN_ARGUMENTS, MASK, createSanitizer } from "../../src/observability/inspector/sanitize.js";
import { CallSignal } from "../../src/shared/call-signal.js";
import { LineRing } from "../../src/shared/line-ring.js";
import { Redactor } from "../../src/shared/redaction.js";
import { testSpec } from "../helpers/specs.js";

const SECRET = "sk-live-SECRET-1234567890";

function sanitizer(includeArguments = false) {
  const redactor = new Redactor();
  redactor.register(SECRET);
  return createSanitizer({ includeArguments, redactor });
}

describe("inspector sanitizer", () => {
  it("masks every env and headers value, secret-named strings, and registered secrets anywhere", () => {
    const out = sanitizer().sanitizeContext({
      spec: testSpec({ env: { API_KEY: SECRET, LEVEL: "info" } }),
      headers: { Authorization: `Bearer ${SECRET}`, Accept: "json" },
      token: "abc-not-registered",
      tokenCount: 3,
      lastError: { message: `upstream said ${SECRET} is wrong` },
    }) as Record<string, unknown>;
    expect((out.spec as { env: unknown }).env).toEqual({ API_KEY: MASK, LEVEL: MASK });
    expect(out.headers).toEqual({ Authorization: MASK, Accept: MASK });
    expect(out.token).toBe(MASK);
    expect(out.tokenCount).toBe(3);
    expect(out.lastError).toEqual({ message: "upstream said *** is wrong" });
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it("hides tool arguments unless asked, and then still redacts them", () => {
    const event = { type: "INVOKE", call: { tool: "add", arguments: { a: 1, note: SECRET }, reply: () => undefined } };
    expect(sanitizer().sanitizeEvent(event)).toEqual({ type: "INVOKE", call: { tool: "add", arguments: HIDDEN_ARGUMENTS } });
    expect(sanitizer(true).sanitizeEvent(event)).toEqual({ type: "INVOKE", call: { tool: "add", arguments: { a: 1, note: MASK } } });
  });

  it("drops functions, sends a LineRing's tail only, and turns refs, signals and errors into plain data", () => {
    const ring = new LineRing(200);
    for (let i = 1; i <= 50; i += 1) ring.push(`line ${i}`);
    const controller = new AbortController();
    const callSignal = new CallSignal();
    const ref = createActor(fromCallback(() => undefined), { id: "child" });
    const out = sanitizer().sanitizeContext({
      reply: () => undefined,
      stderr: ring,
      provider: ref,
      signal: controller.signal,
      callSignal,
      error: new Error(`failed with ${SECRET}`),
      big: "x".repeat(5_000),
      many: Array.from({ length: 60 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: { k: 1 } } } } } } } } } } },
    }) as Record<string, unknown>;
    expect(out).not.toHaveProperty("reply");
    expect(out.stderr).toEqual({ lines: 50, tail: Array.from({ length: 20 }, (_, i) => `line ${i + 31}`) });
    expect(out.provider).toEqual({ xstate$$type: 1, id: "child" });
    expect(out.signal).toEqual({ aborted: false });
    expect(out.callSignal).toEqual({ aborted: false });
    expect(out.error).toEqual({ name: "Error", message: "failed with ***" });
    expect((out.big as string).length).toBeLessThan(2_100);
    expect(out.many as unknown[]).toHaveLength(51);
    expect(JSON.stringify(out.deep)).toContain("[…]");
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it("reuses the sanitized form of unchanged plain data, but re-reads live objects every time", () => {
    const { sanitizeContext } = sanitizer();
    const ring = new LineRing(10);
    ring.push("first");
    const spec = testSpec();
    const context = { spec, stderr: ring };
    const before = sanitizeContext(context) as { spec: unknown; stderr: { tail: string[] } };
    ring.push("second");
    const after = sanitizeContext(context) as { spec: unknown; stderr: { tail: string[] } };
    expect(after.stderr.tail).toEqual(["first", "second"]);
    const signal = new CallSignal();
    const call = { tool: "slow", signal };
    expect(sanitizeContext({ call })).toEqual({ call: { tool: "slow", signal: { aborted: false } } });
    signal.abort("cancelled by the client");
    expect(sanitizeContext({ call })).toEqual({ call: { tool: "slow", signal: { aborted: true } } });
    expect(after.spec).toBe(before.spec); // same spec object: same sanitized object
    expect(sanitizer().sanitizeContext({ spec })).not.toBe(before);
  });

  it("sanitizes a callback actor's input, which holds the provider spec (env included)", () => {
    const logic = fromCallback<{ type: "X" }, { spec: ReturnType<typeof testSpec> }>(() => undefined);
    const actor = createActor(logic, { input: { spec: testSpec({ env: { UPSTREAM: SECRET } }) } });
    const snapshot = sanitizer().sanitizeSnapshot(actor.getSnapshot());
    expect(snapshot.status).toBe("active");
    expect((snapshot.input as { spec: { env: unknown } }).spec.env).toEqual({ UPSTREAM: MASK });
    expect(JSON.stringify(snapshot)).not.toContain(SECRET);
  });
});
