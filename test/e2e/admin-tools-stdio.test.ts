import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, useE2E } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";

/** registry.admin_tools: false through the built CLI over stdio: the admin tools are gone. */
const e2e = useE2E();

describe("admin tools over stdio", () => {
  it("are absent and refused with registry.admin_tools: false, and there by default", async () => {
    const marker = e2e.marker();
    const provider = { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] };
    const locked = await e2e.start({ registry: { admin_tools: false }, providers: { echo: provider } });
    const names = (await locked.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain("registry_invoke");
    for (const name of ["registry_start", "registry_stop", "registry_warm"]) {
      expect(names).not.toContain(name);
      const error = await callTool(locked.client, name, { provider: "echo" }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).message).toContain(`'${name}' is an admin tool`);
    }
    expect(findProcesses(marker)).toEqual([]);

    const open = await e2e.start({ providers: { echo: provider } });
    expect((await open.client.listTools()).tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["registry_start", "registry_stop", "registry_warm"]));
  });
});
