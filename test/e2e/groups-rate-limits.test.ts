import { describe, expect, it } from "vitest";
import { RATE_LIMITED_CODE } from "../../src/security/security-controls.js";
import { callTool, textOf, useE2E } from "../helpers/cli.js";
import { echoMember, memberOf } from "../helpers/groups.js";
import { refusal } from "../helpers/rpc-refusal.js";

/**
 * A group call meets its members' own rate limits: a member out of tokens is skipped for the
 * strategy's next pick, and the group refuses only when every member is out. Real members over
 * stdio behind the built hangar; one call per 100 s after the burst, so a refusal holds however
 * slow the machine.
 */
const e2e = useE2E();
const SLOW = { rps: 0.01 };

describe("a group over its members' rate limits", () => {
  it("skips a member over its limit for the next one, and refuses with one -32029 only when every member is out", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start({
      providers: {
        a: echoMember(marker, "a", { tools: [{ name: "echo" }], rate_limit: { ...SLOW, burst: 1 } }),
        b: echoMember(marker, "b", { tools: [{ name: "echo" }], rate_limit: { ...SLOW, burst: 2 } }),
        pool: { mode: "group", strategy: "round_robin", members: ["a", "b"] },
      },
    });
    const { client } = hangar;
    const echo = (text: string) => callTool(client, "pool__echo", { text });
    const first = await echo("one");
    expect([memberOf(first), textOf(first)]).toEqual(["a", "one"]);
    expect(memberOf(await echo("two"))).toBe("b");
    // a's turn, but a is out of tokens: b takes the call, and _meta says a was skipped.
    const third = await echo("three");
    expect([memberOf(third), textOf(third)]).toEqual(["b", "three"]);
    expect(third._meta?.["mcp-hangar/rate_limited"]).toEqual(["a"]);
    // Now both are out.
    const refused = await refusal(echo("four"));
    expect(refused.code).toBe(RATE_LIMITED_CODE);
    expect(refused.message).toMatch(/every member of group 'pool' is over its rate limit \(.*provider 'a'.*; .*provider 'b'.*\); retry after \d+(\.\d+)? s/);
    expect(refused.data).toMatchObject({ limit: "group_members", members: { a: { limit: "provider" }, b: { limit: "provider" } } });
    expect((refused.data as { retry_after_s: number }).retry_after_s).toBeGreaterThan(90);
  });
});
