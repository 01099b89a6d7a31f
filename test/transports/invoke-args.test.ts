import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { invokeFields, plainInvokeArgs } from "../../src/transports/invoke-args.js";

/** The tool kit's own check of registry_invoke's arguments (defineTool makes the schema strict). */
const toolKitCheck = z.object(invokeFields).strict();

/** Each field as it comes, right or wrong, or left out; now and then a key the tool does not have. */
const fieldValue = fc.oneof(
  fc.constant(""),
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant(0),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);
const invokeLike = fc.record(
  { provider: fieldValue, tool: fieldValue, arguments: fieldValue, timeout_s: fieldValue, timeout: fieldValue, __proto__: fieldValue },
  { requiredKeys: [] },
);
// Near a good call: the right fields, one of them now and then wrong (so both answers come often).
const nearlyRight = fc.record(
  {
    provider: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fieldValue),
    tool: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fieldValue),
    arguments: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), fieldValue),
    timeout_s: fc.oneof(fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }), fieldValue),
  },
  { requiredKeys: ["provider", "tool"] },
);
// Through JSON, as a tools/call's arguments reach the hangar (an own "__proto__" key included).
const asReceived = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe("plainInvokeArgs", () => {
  it("takes exactly the JSON arguments the tool kit's zod check takes, and hands them on as the check would", () => {
    fc.assert(
      fc.property(fc.oneof(nearlyRight, invokeLike, fc.jsonValue({ maxDepth: 2 })), (generated) => {
        const given = asReceived(generated);
        const checked = toolKitCheck.safeParse(given);
        const plain = plainInvokeArgs(given);
        expect(plain !== undefined, JSON.stringify(given)).toBe(checked.success);
        if (plain !== undefined) expect(plain).toEqual(checked.data);
      }),
      { numRuns: 3000 },
    );
  });

  it("takes the common call as it is, with or without arguments and a timeout", () => {
    const call = { provider: "fs", tool: "read", arguments: { path: "/tmp/x", nested: { a: [1] } }, timeout_s: 2.5 };
    expect(plainInvokeArgs(call)).toBe(call);
    expect(plainInvokeArgs({ provider: "fs", tool: "list" })).toEqual({ provider: "fs", tool: "list" });
    expect(plainInvokeArgs({ provider: "fs", tool: "list", arguments: {} })).toEqual({ provider: "fs", tool: "list", arguments: {} });
  });

  it("leaves everything the tool kit must word to it", () => {
    for (const given of [
      undefined,
      null,
      [],
      {},
      { tool: "echo" },
      { provider: "", tool: "echo" },
      { provider: "fs", tool: 5 },
      { provider: "fs", tool: "read", arguments: [] },
      { provider: "fs", tool: "read", arguments: null },
      { provider: "fs", tool: "read", timeout_s: 0 },
      { provider: "fs", tool: "read", timeout_s: -1 },
      { provider: "fs", tool: "read", timeout_s: "5" },
      { provider: "fs", tool: "read", timeout: 5 },
      JSON.parse('{"provider":"fs","tool":"read","__proto__":{}}'),
    ]) {
      expect(plainInvokeArgs(given), JSON.stringify(given)).toBeUndefined();
      expect(toolKitCheck.safeParse(given).success, JSON.stringify(given)).toBe(false);
    }
  });
});
