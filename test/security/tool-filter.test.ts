import { describe, expect, it } from "vitest";
import { listedTools } from "../../src/machines/provider-view.js";
import { AdminGate } from "../../src/security/admin-gate.js";
import { DEFAULT_PROVIDER_SECURITY } from "../../src/security/security-controls.js";
import { NamePatterns, ToolFilter, toolFilterOf } from "../../src/security/tool-filter.js";
import { testSpec } from "../helpers/specs.js";

describe("tool filter", () => {
  it("matches names and globs; deny wins over allow", () => {
    const patterns = new NamePatterns(["read_*", "list_directory", "get_?"]);
    expect(["read_file", "read_", "list_directory", "get_x"].every((name) => patterns.matches(name))).toBe(true);
    expect(["write_file", "list_directory_with_sizes", "get_xy", "xread_file", "read.file"].some((name) => patterns.matches(name))).toBe(false);
    // Characters that mean something in a RegExp are literal.
    expect(new NamePatterns(["a.b*"]).matches("axb")).toBe(false);

    const filter = new ToolFilter({ allowTools: ["read_*", "list_*"], denyTools: ["read_media_file"] });
    expect(filter.allows("read_file")).toBe(true);
    expect(filter.allows("read_media_file")).toBe(false);
    expect(filter.refusal("read_media_file")).toBe("it matches deny_tools");
    expect(filter.allows("write_file")).toBe(false);
    expect(filter.refusal("write_file")).toBe("it is not in allow_tools");
    expect(filter.refusal("list_directory")).toBeUndefined();
    expect(toolFilterOf(undefined).passesAll).toBe(true);
    expect(toolFilterOf({ allowTools: [], denyTools: [] }).allows("anything")).toBe(false);
  });

  it("applies to predefined and live tools alike", () => {
    const spec = testSpec({
      tools: [
        { name: "add", inputSchema: { type: "object" } },
        { name: "drop_table", inputSchema: { type: "object" } },
      ],
      security: { ...DEFAULT_PROVIDER_SECURITY, denyTools: ["drop_*", "admin"] },
    });
    const names = (liveTools: { name: string }[] | undefined): string[] =>
      listedTools({ spec, liveTools: liveTools?.map((tool) => ({ ...tool, inputSchema: { type: "object" as const } })) }).map((item) => item.tool.name);
    expect(names(undefined)).toEqual(["add"]);
    expect(names([{ name: "add" }, { name: "admin" }, { name: "drop_index" }, { name: "mul" }])).toEqual(["add", "mul"]);
  });
});

describe("admin gate", () => {
  it("offers admin tools to everyone over stdio and to admins over HTTP by default; the config decides otherwise", () => {
    const anyone = { principal: undefined, roles: [] };
    const alice = { principal: "alice", roles: [] };
    const root = { principal: "root", roles: ["admin"] };
    expect(new AdminGate(undefined, "stdio").allows(anyone)).toBe(true);
    expect(new AdminGate(false, "stdio").allows(anyone)).toBe(false);
    expect(new AdminGate(undefined, "http").allows(alice)).toBe(false);
    expect(new AdminGate(undefined, "http").allows(root)).toBe(true);
    expect(new AdminGate(true, "http").allows(alice)).toBe(true);
    expect(new AdminGate(false, "http").allows(root)).toBe(true);
    for (const name of ["registry_start", "registry_stop", "registry_approve", "registry_discover"]) expect(AdminGate.isAdminTool(name)).toBe(true);
    for (const name of ["registry_list", "registry_invoke", "registry_details"]) expect(AdminGate.isAdminTool(name)).toBe(false);
  });
});
