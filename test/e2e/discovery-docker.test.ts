import { randomUUID } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, jsonOf, textOf, useE2E } from "../helpers/cli.js";
import { expectProviders } from "../helpers/discovery.js";
import { answersHttp, docker, dockerAvailable, ensureTestImage, removeContainers, runContainer, runMcpContainer, testScope } from "../helpers/docker-engine.js";

const e2e = useE2E();
const ENGINE = dockerAvailable();
const started: string[] = [];
/** This file's containers only: the other Docker test files run alongside on the same engine. */
const SCOPE = testScope();
const [SCOPE_LABEL] = Object.keys(SCOPE);

beforeAll(() => {
  if (ENGINE) ensureTestImage();
});

afterEach(() => {
  removeContainers(started.splice(0));
});

function startMcpContainer(provider: string, extraLabels: Record<string, string> = {}): string {
  const name = runMcpContainer(provider, { ...SCOPE, ...extraLabels });
  started.push(name);
  return name;
}

describe.runIf(ENGINE)("Docker discovery (real engine)", () => {
  it("labelled containers appear as remote providers at their published port, and go when stopped or removed", async () => {
    const already = startMcpContainer("before");
    const hangar = await e2e.start({
      providers: { fixed: { command: fixtureCommand("echo-server.js", e2e.marker()), tools: [{ name: "pid" }] } },
      discovery: { sources: [{ type: "docker", name: "local", address: "published", labels: SCOPE }] },
    });
    // Found by the resync at start.
    await expectProviders(hangar, ["before", "fixed"], "the container running before the hangar", 10_000);

    // An unlabelled container is ignored; a labelled one is found through the events stream.
    const plain = `hangar-discovery-plain-${randomUUID().slice(0, 8)}`;
    started.push(plain);
    runContainer({ name: plain, labels: SCOPE, argv: ["-e", "setInterval(() => {}, 1000)"] });
    const live = startMcpContainer("live", { "mcp.hangar.ttl": "120" });
    await expectProviders(hangar, ["before", "fixed", "live"], "the container started while the hangar runs", 10_000);
    const published = docker("port", live, "3001/tcp").split("\n")[0]?.trim() ?? "";
    expect(published).toMatch(/^127\.0\.0\.1:\d+$/);
    const details = jsonOf(await callTool(hangar.client, "registry_details", { provider: "live" })) as { mode: string; idle_ttl_s: number };
    expect(details).toMatchObject({ mode: "remote", idle_ttl_s: 120 });
    expect(JSON.stringify(details)).toContain(`http://${published}/mcp`);
    // The hangar reaches the server inside the container through the published port, once the
    // server listens (the container runs a moment before it does).
    await eventually(() => answersHttp(`http://${published}/mcp`), 10_000, "the server in the container to listen");
    const echoed = await callTool(hangar.client, "registry_invoke", { provider: "live", tool: "echo", arguments: { message: "from a container" } });
    expect(textOf(echoed)).toContain("from a container");

    // die: stopped containers go; destroy: removed ones go.
    docker("stop", "-t", "1", live);
    await expectProviders(hangar, ["before", "fixed"], "the stopped container's provider to go", 10_000);
    docker("rm", "-f", already);
    await expectProviders(hangar, ["fixed"], "the removed container's provider to go", 10_000);

    const sources = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: { source: string; health: string }[] };
    expect(sources.sources).toEqual([expect.objectContaining({ source: "docker:local", health: "ok" })]);
  });

  it("labels scope the source: containers without every one of its labels are not discovered, those with them are", async () => {
    if (SCOPE_LABEL === undefined) throw new Error("testScope names a label");
    const TEAM = "mcp-hangar.test.team";
    // Running before the hangar: another hangar's container (its own scope value), and one of ours
    // without the team label the source asks for (present, any value).
    startMcpContainer("theirs", { [SCOPE_LABEL]: "another-hangar", [TEAM]: "payments" });
    startMcpContainer("teamless");
    const hangar = await e2e.start({
      discovery: { sources: [{ type: "docker", name: "scoped", address: "published", labels: { ...SCOPE, [TEAM]: true } }] },
    });
    // Started while the hangar runs: found through the events stream; the resync it triggers lists
    // every container the engine lets through, and the set is exactly this one.
    startMcpContainer("ours", { [TEAM]: "payments" });
    await expectProviders(hangar, ["ours"], "the container carrying the source's labels", 10_000);
    const sources = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: { source: string; health: string; providers: number }[] };
    expect(sources.sources).toEqual([expect.objectContaining({ source: "docker:scoped", health: "ok", providers: 1 })]);
    // Another one of the other hangar's starts: still not ours; a second of ours is.
    startMcpContainer("theirs-late", { [SCOPE_LABEL]: "another-hangar", [TEAM]: "payments" });
    startMcpContainer("ours-late", { [TEAM]: "search" });
    await expectProviders(hangar, ["ours", "ours-late"], "the second container carrying the source's labels", 10_000);
  });
});
