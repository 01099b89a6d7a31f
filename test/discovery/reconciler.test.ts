import { describe, expect, it } from "vitest";
import type { ProviderSpec } from "../../src/config/types.js";
import { STATIC_SOURCE } from "../../src/discovery/precedence.js";
import { approve } from "../../src/discovery/quarantine.js";
import { initialState, reconcile, type SourcePolicy, type SourceReport } from "../../src/discovery/reconciler.js";
import { testSpec } from "../helpers/specs.js";

function policy(id: string, overrides: Partial<SourcePolicy> = {}): SourcePolicy {
  const type = id === STATIC_SOURCE ? STATIC_SOURCE : (id.split(":")[0] as SourcePolicy["type"]);
  return { id, type, mode: "authoritative", graceS: 0, quarantine: false, maxProviders: 100, ...overrides };
}

function report(id: string, specs: ProviderSpec[], overrides: Partial<SourcePolicy> = {}): SourceReport {
  return { policy: policy(id, overrides), specs };
}

const spec = (id: string, description = id): ProviderSpec => testSpec({ id, description });
const ids = (items: { spec: ProviderSpec }[]) => items.map((item) => item.spec.id);

describe("reconciler", () => {
  it("adds what sources report, and leaves an unchanged provider alone", () => {
    const state = initialState([spec("math")]);
    const first = reconcile(state, [report(STATIC_SOURCE, [spec("math")]), report("filesystem:local", [spec("files")])], 0);
    expect(ids(first.add)).toEqual(["files"]);
    expect(first.update).toEqual([]);
    expect(first.remove).toEqual([]);
    const again = reconcile(first.state, [report(STATIC_SOURCE, [spec("math")]), report("filesystem:local", [spec("files")])], 1);
    expect([again.add, again.update, again.remove]).toEqual([[], [], []]);
  });

  it("updates a provider whose spec changed, whatever the key order", () => {
    const state = initialState([]);
    const first = reconcile(state, [report("filesystem:local", [spec("files", "v1")])], 0);
    const reordered = Object.fromEntries(Object.entries(spec("files", "v1")).reverse()) as unknown as ProviderSpec;
    expect(reconcile(first.state, [report("filesystem:local", [reordered])], 1).update).toEqual([]);
    const changed = reconcile(first.state, [report("filesystem:local", [spec("files", "v2")])], 1);
    expect(changed.update.map((item) => item.spec.description)).toEqual(["v2"]);
  });

  it("precedence: static > kubernetes > docker > filesystem > packages, each loser reported as a conflict", () => {
    const reports = [
      report("packages:npm", [spec("shared", "from packages"), spec("pkg")]),
      report("filesystem:local", [spec("shared", "from files"), spec("both", "files")]),
      report("docker:local", [spec("shared", "from docker"), spec("both", "docker")]),
      report("kubernetes:prod", [spec("shared", "from kubernetes")]),
      report(STATIC_SOURCE, [spec("shared", "static")]),
    ];
    const plan = reconcile(initialState([spec("shared", "static")]), reports, 0);
    expect(plan.state.applied.shared).toEqual({ source: STATIC_SOURCE, spec: spec("shared", "static") });
    expect(plan.state.applied.both?.source).toBe("docker:local");
    expect(plan.state.applied.pkg?.source).toBe("packages:npm");
    expect(plan.conflicts).toEqual(
      expect.arrayContaining([
        { providerId: "shared", winner: STATIC_SOURCE, loser: "kubernetes:prod" },
        { providerId: "shared", winner: STATIC_SOURCE, loser: "docker:local" },
        { providerId: "shared", winner: STATIC_SOURCE, loser: "filesystem:local" },
        { providerId: "shared", winner: STATIC_SOURCE, loser: "packages:npm" },
        { providerId: "both", winner: "docker:local", loser: "filesystem:local" },
      ]),
    );
    expect(plan.conflicts).toHaveLength(5);
    expect(plan.update).toEqual([]);
  });

  it("a higher-ranked source taking over a provider replaces it with its spec", () => {
    const first = reconcile(initialState([]), [report("filesystem:local", [spec("x", "files")])], 0);
    const second = reconcile(first.state, [report("filesystem:local", [spec("x", "files")]), report("docker:local", [spec("x", "docker")])], 1);
    expect(second.update).toEqual([{ source: "docker:local", spec: spec("x", "docker") }]);
    expect(second.conflicts).toEqual([{ providerId: "x", winner: "docker:local", loser: "filesystem:local" }]);
  });

  it("authoritative removes what its source stops reporting, after grace_s; additive never removes", () => {
    const reports = (specs: ProviderSpec[]) => [
      report("filesystem:auth", specs.filter((s) => s.id.startsWith("a")), { graceS: 10 }),
      report("packages:add", specs.filter((s) => s.id.startsWith("p")), { mode: "additive" }),
    ];
    const first = reconcile(initialState([]), reports([spec("a1"), spec("p1")]), 0);
    expect(ids(first.add).sort()).toEqual(["a1", "p1"]);

    const gone = reconcile(first.state, reports([]), 1_000);
    expect(gone.remove).toEqual([]);
    expect(gone.pending).toEqual([{ providerId: "a1", source: "filesystem:auth", dueAt: 11_000 }]);
    expect(gone.state.applied.p1?.source).toBe("packages:add");

    const stillWaiting = reconcile(gone.state, reports([]), 10_999);
    expect(stillWaiting.remove).toEqual([]);
    const due = reconcile(stillWaiting.state, reports([]), 11_000);
    expect(due.remove).toEqual([{ providerId: "a1", source: "filesystem:auth", reason: "no longer reported by its source" }]);
    expect(Object.keys(due.state.applied)).toEqual(["p1"]);
  });

  it("a provider that comes back within the grace period is kept, and its clock reset", () => {
    const policyOf = { graceS: 10 };
    const first = reconcile(initialState([]), [report("docker:d", [spec("a")], policyOf)], 0);
    const gone = reconcile(first.state, [report("docker:d", [], policyOf)], 1_000);
    const back = reconcile(gone.state, [report("docker:d", [spec("a")], policyOf)], 2_000);
    expect([back.add, back.update, back.remove]).toEqual([[], [], []]);
    expect(back.state.missingSince).toEqual({});
  });

  it("static providers removed from the config go at once; a removed source's providers go too", () => {
    const first = reconcile(initialState([spec("s")]), [report(STATIC_SOURCE, [spec("s")]), report("filesystem:old", [spec("f")])], 0);
    const plan = reconcile(first.state, [report(STATIC_SOURCE, [])], 1);
    expect(plan.remove).toEqual([
      { providerId: "s", source: STATIC_SOURCE, reason: "no longer reported by its source" },
      { providerId: "f", source: "filesystem:old", reason: "its source is no longer configured" },
    ]);
  });

  it("quarantine holds new providers until approved; approval admits exactly that one", () => {
    const reports = [report("kubernetes:prod", [spec("k1"), spec("k2")], { quarantine: true })];
    const held = reconcile(initialState([]), reports, 0);
    expect(held.add).toEqual([]);
    expect(held.quarantined.map((item) => item.providerId)).toEqual(["k1", "k2"]);

    expect(approve(held.state.approvals, held.quarantined, "nope")).toBeUndefined();
    const approvals = approve(held.state.approvals, held.quarantined, "k1");
    expect(approvals).toEqual({ k1: "kubernetes:prod" });
    const admitted = reconcile({ ...held.state, approvals: approvals ?? {} }, reports, 1);
    expect(ids(admitted.add)).toEqual(["k1"]);
    expect(admitted.quarantined.map((item) => item.providerId)).toEqual(["k2"]);
    // Once running, a changed spec from the same source needs no new approval.
    const changed = reconcile(admitted.state, [report("kubernetes:prod", [spec("k1", "v2"), spec("k2")], { quarantine: true })], 2);
    expect(changed.update.map((item) => item.spec.description)).toEqual(["v2"]);
  });

  it("a quarantined candidate does not displace an admitted one of lower rank", () => {
    const reports = [report("kubernetes:prod", [spec("x", "k8s")], { quarantine: true }), report("filesystem:local", [spec("x", "files")])];
    const plan = reconcile(initialState([]), reports, 0);
    expect(plan.state.applied.x).toEqual({ source: "filesystem:local", spec: spec("x", "files") });
    expect(plan.quarantined.map((item) => item.source)).toEqual(["kubernetes:prod"]);
    expect(plan.conflicts).toEqual([]);
  });

  it("max_providers_per_source: only the first N (by id) of a source are used, and the cut is reported", () => {
    const specs = ["e", "d", "c", "b", "a"].map((id) => spec(id));
    const plan = reconcile(initialState([]), [report("docker:d", specs, { maxProviders: 3 })], 0);
    expect(ids(plan.add)).toEqual(["a", "b", "c"]);
    expect(plan.truncated).toEqual([{ source: "docker:d", reported: 5, kept: 3 }]);
  });

  it("a failing source reports its last good set, so nothing it ran is removed", () => {
    const first = reconcile(initialState([]), [report("filesystem:local", [spec("f")])], 0);
    const failing: SourceReport = { ...report("filesystem:local", [spec("f")]), error: "providers.d/bad.yaml:3:5: …" };
    const plan = reconcile(first.state, [failing], 1);
    expect([plan.add, plan.update, plan.remove]).toEqual([[], [], []]);
  });

  it("refuses a discovered provider whose id is a configured group's (it would shadow the group), and removes one that ran before the group came", () => {
    const groups = new Set(["pool"]);
    const reports = [report("filesystem:local", [spec("pool"), spec("files")]), report("docker:d", [spec("pool")])];
    const plan = reconcile(initialState([]), reports, 0, groups);
    expect(ids(plan.add)).toEqual(["files"]);
    expect(plan.state.applied.pool).toBeUndefined();
    expect(plan.groupShadows.map((shadow) => shadow.source).sort()).toEqual(["docker:d", "filesystem:local"]);
    expect(plan.groupShadows[0]?.message).toContain("has the id of configured group 'pool'; it is not run, the group keeps its name");
    expect(plan.conflicts).toEqual([]);
    // The group came with a reload while the provider ran: the provider goes; without the group it comes back.
    const ran = reconcile(initialState([]), reports, 0);
    expect(ids(ran.add)).toEqual(["files", "pool"]);
    const grouped = reconcile(ran.state, reports, 1, groups);
    expect(grouped.remove).toEqual([{ providerId: "pool", source: "docker:d", reason: "configured group 'pool' has its id" }]);
    expect(ids(reconcile(grouped.state, reports, 2).add)).toEqual(["pool"]);
  });
});
