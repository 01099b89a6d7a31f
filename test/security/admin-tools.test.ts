import { describe, expect, it } from "vitest";
import { ADMIN_TOOLS } from "../../src/security/admin-gate.js";
import { REGISTRY_TOOL_DEFINITIONS } from "../../src/transports/registry-tools.js";

/** The admin gate's list names real tools: a stale name would guard nothing, a missing one would leave a tool open. */
describe("the admin tools", () => {
  const registryTools = REGISTRY_TOOL_DEFINITIONS.map((tool) => tool.name);

  it("are each a registry tool the hangar offers", () => {
    for (const name of ADMIN_TOOLS) expect(registryTools, name).toContain(name);
  });

  it("are the registry tools that change what runs, and the quarantine and source status an approver reviews", () => {
    const admin = registryTools.filter((name) => ADMIN_TOOLS.has(name)).sort();
    expect(admin).toEqual([
      "registry_approve",
      "registry_discover",
      "registry_group_rebalance",
      "registry_quarantine",
      "registry_sources",
      "registry_start",
      "registry_stop",
      "registry_warm",
    ]);
  });
});
