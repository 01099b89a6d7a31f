import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, eventually, FIXTURES, fixtureCommand, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";

const e2e = useE2E();
const PACKAGES = join(FIXTURES, "npm-packages");

describe("npm package discovery", () => {
  it("finds providers in package.json's mcpHangar field, runs the package's bin, and reports the conflict with a static provider", async () => {
    const marker = e2e.marker();
    const staticMarker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: { shared: { command: fixtureCommand("echo-server.js", staticMarker), tools: [{ name: "pid" }] } },
        discovery: { sources: [{ type: "packages", paths: [PACKAGES] }] },
      },
      { env: { PKG_MARKER: marker } },
    );
    const { client } = hangar;
    await eventually(async () => (await client.listTools()).tools.some((tool) => tool.name === "pkgecho__pid"), 3_000, "pkgecho__pid");

    // The command named the package's bin: it runs that file (and so the echo fixture), tagged with the marker.
    const pid = Number(textOf(await callTool(client, "pkgecho__pid")));
    // (The hangar carries the marker too: PKG_MARKER is in its environment.)
    expect(findProcesses(marker).filter((found) => found !== hangar.pid)).toEqual([pid]);
    expect(textOf(await callTool(client, "pkgecho__echo", { text: "from a package" }))).toBe("from a package");

    // The static config outranks the package's `shared`: it is reported, not silently dropped.
    const discovered = jsonOf(await callTool(client, "registry_discover")) as { conflicts: unknown[]; errors: unknown[]; added: unknown[] };
    expect(discovered.conflicts).toEqual([{ providerId: "shared", winner: "static", loser: "packages:packages" }]);
    expect(discovered.errors).toEqual([]);
    expect(discovered.added).toEqual([]);
    const shared = jsonOf(await callTool(client, "registry_details", { provider: "shared" })) as { command: string[] };
    expect(shared.command.join(" ")).toContain(staticMarker);

    const sources = jsonOf(await callTool(client, "registry_sources")) as { sources: Record<string, unknown>[] };
    expect(sources.sources).toEqual([
      expect.objectContaining({ source: "packages:packages", type: "packages", mode: "authoritative", health: "ok", providers: 1 }),
    ]);
  });

  it("quarantine: the package's providers wait for registry_approve, then appear", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: { fixed: { command: fixtureCommand("echo-server.js", e2e.marker()), tools: [{ name: "pid" }] } },
        discovery: { sources: [{ type: "packages", name: "vetted", paths: [PACKAGES], quarantine: true }] },
      },
      { env: { PKG_MARKER: marker } },
    );
    const { client } = hangar;
    const held = await eventually(async () => {
      const result = jsonOf(await callTool(client, "registry_quarantine")) as { quarantined: { provider: string; source: string }[] };
      return result.quarantined.length > 0 ? result.quarantined : undefined;
    }, 3_000, "the quarantine to fill");
    expect(held.map((item) => `${item.provider}@${item.source}`).sort()).toEqual(["pkgecho@packages:vetted", "shared@packages:vetted"]);
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain("pkgecho__pid");

    await expect(client.callTool({ name: "registry_approve", arguments: { provider: "nope" } })).rejects.toThrow("'nope' is not in quarantine");
    const approved = jsonOf(await callTool(client, "registry_approve", { provider: "pkgecho" }));
    expect(approved).toMatchObject({ provider: "pkgecho", approved: true });
    await eventually(async () => (await client.listTools()).tools.some((tool) => tool.name === "pkgecho__pid"), 3_000, "pkgecho__pid after approval");
    const after = jsonOf(await callTool(client, "registry_quarantine")) as { quarantined: { provider: string }[] };
    expect(after.quarantined.map((item) => item.provider)).toEqual(["shared"]);
  });
});
