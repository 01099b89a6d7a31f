import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

const problems = (text: string): string[] => configProblems(text, "hangar.yaml");

describe("group config (mode: group)", () => {
  it("reads the issue's example: references, an inline member, failover and retry settings", () => {
    const config = parseConfig(
      yaml(
        "providers:",
        "  search-a: { mode: subprocess, command: [node, search.js, --region, a] }",
        "  search-b: { mode: subprocess, command: [node, search.js, --region, b] }",
        "  search:",
        "    mode: group",
        "    strategy: weighted_round_robin",
        "    min_healthy: 1",
        "    members:",
        "      - { id: search-a, weight: 3, priority: 1 }",
        "      - { id: search-c, weight: 1, priority: 2, mode: subprocess, command: [node, search.js] }",
        "      - search-b",
        "    failover: { auto_failback: true, failback_delay_s: 30 }",
        "    retry_on_member_failure: auto",
      ),
      "/tmp/hangar.yaml",
      {},
    );
    // The inline member is a provider in its own right; the group is not a provider.
    expect(config.providers.map((p) => p.id)).toEqual(["search-a", "search-b", "search-c"]);
    expect(config.providers[2]).toMatchObject({ id: "search-c", command: ["node", "search.js"], cwd: "/tmp" });
    expect(config.groups).toEqual([
      {
        id: "search",
        strategy: "weighted_round_robin",
        minHealthy: 1,
        members: [
          { id: "search-a", weight: 3, priority: 1 },
          { id: "search-c", weight: 1, priority: 2 },
          { id: "search-b", weight: 1, priority: 1 },
        ],
        failover: { autoFailback: true, failbackDelayS: 30 },
        retryOnMemberFailure: "auto",
        maxAttempts: 2,
      },
    ]);
  });

  it("defaults: round_robin, min_healthy 1, auto failback after 30 s, auto retry, 2 attempts", () => {
    const config = parseConfig(yaml("providers:", "  a: { command: [x] }", "  g: { mode: group, members: [a] }"), "hangar.yaml", {});
    expect(config.groups?.[0]).toMatchObject({
      strategy: "round_robin",
      minHealthy: 1,
      failover: { autoFailback: true, failbackDelayS: 30 },
      retryOnMemberFailure: "auto",
      maxAttempts: 2,
    });
    // No groups: the key is left out.
    expect(parseConfig(yaml("providers:", "  a: { command: [x] }"), "hangar.yaml", {}).groups).toBeUndefined();
  });

  it("names file, line and field of each problem, with suggestions for misspelt keys", () => {
    expect(
      problems(
        yaml(
          "providers:",
          "  a: { command: [x] }",
          "  g:",
          "    mode: group",
          "    strategy: fastest",
          "    members:",
          "      - { id: a, wieght: 2 }",
          "    retry_on_member_failure: sometimes",
          "    failover: { auto_failbak: true }",
          "    stratgy: x",
        ),
      ),
    ).toEqual([
      'hangar.yaml:5:15: providers.g.strategy: expected one of "round_robin", "weighted_round_robin", "least_connections", "random", "priority"',
      "hangar.yaml:7:18: providers.g.members[0]: unknown key 'wieght' — did you mean 'weight'?",
      'hangar.yaml:8:30: providers.g.retry_on_member_failure: expected one of "auto", "always", "never"',
      "hangar.yaml:9:17: providers.g.failover: unknown key 'auto_failbak' — did you mean 'auto_failback'?",
      "hangar.yaml:10:5: providers.g: unknown key 'stratgy' — did you mean 'strategy'?",
    ]);
  });

  it("checks members against the providers: unknown, a group, an inline id taken, listed twice, min_healthy out of reach", () => {
    expect(
      problems(
        yaml(
          "providers:",
          "  a: { command: [x] }",
          "  other: { mode: group, members: [a] }",
          "  g:",
          "    mode: group",
          "    min_healthy: 5",
          "    members:",
          "      - { id: nope }",
          "      - { id: a, command: [y] }",
          "      - { id: other }",
          "      - { id: a }",
        ),
      ),
    ).toEqual([
      "hangar.yaml:6:18: providers.g.min_healthy: min_healthy (5) is more than the group's 4 member(s): the group could never be HEALTHY",
      "hangar.yaml:8:15: providers.g.members[0].id: member 'nope' is not a provider defined under providers (known: a); define it there, or inline with a command",
      "hangar.yaml:9:15: providers.g.members[1].id: inline member 'a' has the id of a provider defined under providers; reference it as { id: a } or give the inline member another id",
      "hangar.yaml:10:15: providers.g.members[2].id: member 'other' is a group; a group's members must be providers",
      "hangar.yaml:11:15: providers.g.members[3].id: member 'a' is listed twice in group 'g'",
    ]);
  });
});

describe("the group key of a provider", () => {
  it("names a group (string or { id, weight, priority }); defaults apply", () => {
    const config = parseConfig(
      yaml(
        "providers:",
        "  a: { command: [node, a.js], group: pool }",
        "  b: { command: [node, b.js], group: { id: search, weight: 2 } }",
        "  search: { mode: group, members: [a] }",
      ),
      "/tmp/hangar.yaml",
      {},
    );
    expect(config.providers.map((p) => [p.id, p.group])).toEqual([
      ["a", { id: "pool", weight: 1, priority: 1 }],
      ["b", { id: "search", weight: 2, priority: 1 }],
    ]);
  });

  it("reports bad values at file:line:col, and a group id that is a provider's", () => {
    expect(
      problems(
        yaml(
          "providers:",
          "  a: { command: [node, a.js], group: { id: pool, weight: heavy } }",
          "  b: { command: [node, b.js], group: a }",
          "  c: { command: [node, c.js], group: c }",
          "  d: { command: [node, d.js], group: 'bad id' }",
          "  e: { command: [node, e.js], group: { id: pool, colour: red } }",
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^hangar\.yaml:2:\d+: providers\.a\.group\.weight: /) as unknown,
      expect.stringMatching(/^hangar\.yaml:3:\d+: providers\.b\.group: 'a' is a provider, not a group/) as unknown,
      expect.stringMatching(/^hangar\.yaml:4:\d+: providers\.c\.group: a provider cannot join a group with its own id 'c'/) as unknown,
      expect.stringMatching(/^hangar\.yaml:5:\d+: providers\.d\.group: group id: provider id 'bad id' is invalid/) as unknown,
      expect.stringMatching(/^hangar\.yaml:6:\d+: providers\.e\.group: unknown key 'colour'; valid keys are id, weight, priority/) as unknown,
    ]);
  });
});

describe("the group key naming an inline member", () => {
  it("is refused like any provider id", () => {
    expect(
      problems(
        yaml(
          "providers:",
          "  x: { command: [node, x.js], group: inl }",
          "  g: { mode: group, members: [{ id: inl, command: [node, inl.js] }] }",
        ),
      ),
    ).toEqual([expect.stringMatching(/^hangar\.yaml:2:\d+: providers\.x\.group: 'inl' is a provider, not a group/) as unknown]);
  });
});
