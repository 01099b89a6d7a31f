import { describe, expect, it } from "vitest";
import { ANONYMOUS } from "../../src/security/admin-gate.js";
import { DEFAULT_PROVIDER_SECURITY, SecurityControls } from "../../src/security/security-controls.js";
import { testSpec } from "../helpers/specs.js";

/** A call to a group may land on any member, so every member's tool filter and argument limits apply to it. */
describe("security controls for a group's calls", () => {
  const providers = [
    testSpec({ id: "a" }),
    testSpec({ id: "b", security: { ...DEFAULT_PROVIDER_SECURITY, denyTools: ["crash"], maxArgumentBytes: 64 } }),
  ];
  const controls = new SecurityControls(
    {},
    {
      frontEnd: "stdio",
      specOf: (id) => providers.find((spec) => spec.id === id),
      membersOf: (id) => (id === "g" ? ["a", "b"] : undefined),
    },
  );
  const target = (providerId: string, toolName: string) => ({ providerId, toolName, flatName: `${providerId}__${toolName}`, tool: undefined });

  it("refuses a tool that any member denies, while the member that allows it still takes it directly", () => {
    expect(() => controls.admitToolCall(ANONYMOUS, target("g", "crash"), {})).toThrow(/tool 'crash' of provider 'g' is not available/);
    expect(controls.admitToolCall(ANONYMOUS, target("a", "crash"), {})).toBeUndefined();
    expect(controls.admitToolCall(ANONYMOUS, target("g", "echo"), {})).toBeUndefined();
  });

  it("holds arguments to the strictest member's limits", () => {
    const big = { text: "x".repeat(200) };
    expect(controls.admitToolCall(ANONYMOUS, target("a", "echo"), big)).toBeUndefined();
    expect(controls.admitToolCall(ANONYMOUS, target("g", "echo"), big)?.isError).toBe(true);
  });
});
