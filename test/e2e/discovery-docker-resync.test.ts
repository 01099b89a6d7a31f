import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { callTool, details, eventually, invoke, jsonOf, textOf, useE2E, type RunningHangar } from "../helpers/cli.js";
import { expectProviders, providerIds } from "../helpers/discovery.js";
import { answersHttp, docker, dockerAvailable, ensureTestImage, mcpUrlOf, removeContainers, runMcpContainer, testScope } from "../helpers/docker-engine.js";
import { startEngineProxy, type EngineProxy } from "../helpers/engine-proxy.js";
import { waitFor } from "../helpers/wait.js";

/**
 * The Docker source's resync after its events stream drops, against the real engine. The source
 * reaches the engine through a proxy the test can cut (test/helpers/engine-proxy.ts), so the
 * stream drops — and the engine becomes unreachable — without restarting the shared dockerd.
 * While it is down, containers start and go; none of that can reach the source by events, so
 * only the full resync on reconnect brings the providers in line.
 */
const e2e = useE2E();
const ENGINE = dockerAvailable();
const started: string[] = [];
let proxy: EngineProxy | undefined;
/** This file's containers only: the other Docker test files run alongside on the same engine. */
const SCOPE = testScope();
/** The engine's `label` filter the source's list and events requests must carry. */
const SCOPED_FILTER = ["mcp.hangar.enabled=true", ...Object.entries(SCOPE).map(([key, value]) => `${key}=${value}`)];

beforeAll(() => {
  if (ENGINE) ensureTestImage();
});

afterEach(async () => {
  removeContainers(started.splice(0));
  await proxy?.close();
  proxy = undefined;
});

function startMcpContainer(provider: string, labels: Record<string, string> = SCOPE): string {
  const name = runMcpContainer(provider, labels);
  started.push(name);
  return name;
}

interface SourceView {
  source: string;
  health: string;
  providers: number;
  last_error?: string;
}

async function dockerSourceView(hangar: RunningHangar): Promise<SourceView | undefined> {
  const view = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: SourceView[] };
  return view.sources.find((source) => source.source === "docker:proxied");
}

/** The `label` filters of the engine requests to `path` (`/containers/json`, `/events`), from their request lines. */
function labelFiltersAsked(requestLines: string[], path: string): (string[] | undefined)[] {
  return requestLines
    .map((line) => new URL(line.split(" ")[1] ?? "/", "http://engine"))
    .filter((url) => url.pathname.endsWith(path))
    .map((url) => (JSON.parse(url.searchParams.get("filters") ?? "{}") as { label?: string[] }).label);
}

async function callWhenListening(hangar: RunningHangar, provider: string, container: string, message: string): Promise<void> {
  await eventually(() => answersHttp(mcpUrlOf(container)), 10_000, `the server in ${container} to listen`);
  expect(textOf(await invoke(hangar.client, provider, "echo", { message }))).toBe(`Echo: ${message}`);
}

describe.runIf(ENGINE)("Docker discovery: resync after the events stream drops (real engine)", () => {
  it("keeps the last good set while the engine is unreachable, backs off, and resyncs on reconnect", { timeout: 120_000 }, async () => {
    const engine = await startEngineProxy(e2e.dir());
    proxy = engine;
    const keep = startMcpContainer("keep");
    const gone = startMcpContainer("gone");
    // The MCP labels but another scope: on a shared engine, another hangar's container.
    startMcpContainer("stranger", { "mcp-hangar.test.scope": "another-hangar" });
    const hangar = await e2e.start({
      discovery: { sources: [{ type: "docker", name: "proxied", socket: engine.socketPath, address: "published", labels: SCOPE }] },
    });
    await expectProviders(hangar, ["gone", "keep"], "the containers running before the hangar", 15_000);
    expect(await dockerSourceView(hangar)).toMatchObject({ health: "ok", providers: 2 });
    // The engine does the scoping: the list and the events stream both ask for the source's labels.
    const listed = labelFiltersAsked(engine.forwarded, "/containers/json");
    const watched = labelFiltersAsked(engine.forwarded, "/events");
    expect(listed.length).toBeGreaterThan(0);
    expect(watched).toHaveLength(1);
    for (const filter of [...listed, ...watched]) expect(filter).toEqual(SCOPED_FILTER);
    await callWhenListening(hangar, "keep", keep, "before the drop");
    await callWhenListening(hangar, "gone", gone, "before the drop");

    // The stream drops and the engine cannot be reached.
    engine.cut();
    const down = await eventually(
      async () => {
        const view = await dockerSourceView(hangar);
        return view?.health === "error" ? view : undefined;
      },
      10_000,
      "registry_sources to show the source's error",
    );
    expect(down.last_error).toMatch(/events stream/);
    expect(down.last_error).toMatch(/cannot list containers/);
    await hangar.waitForStderr(/discovery: source docker:proxied failed; its last good set stays: the engine's events stream/, 5_000);

    // Meanwhile: one container starts, another is removed — no event can reach the source.
    const late = startMcpContainer("late");
    docker("rm", "-f", gone);

    // Reconnect attempts back off (1 s, 2 s, 4 s, each ±20 %). Measured between attempts, not from
    // the cut or from the list at the drop: a loaded hangar may notice the closed stream seconds
    // late, and that list can queue behind a scan still in flight (it came after the first
    // reconnect in one landing). A late timer only lengthens the gap after it.
    const eventsAttempts = (): number[] => engine.refused.filter((request) => request.request.includes("/events")).map((request) => request.at);
    const [first, second, third] = await waitFor(
      () => {
        const attempts = eventsAttempts();
        return attempts.length >= 3 ? attempts : undefined;
      },
      20_000,
      "three reconnect attempts",
    );
    if (first === undefined || second === undefined || third === undefined) throw new Error("unreachable");
    expect(second - first).toBeGreaterThanOrEqual(1_500);
    expect(third - second).toBeGreaterThanOrEqual(3_000);
    // No hot loop: each attempt is one events request and one list (plus the list at the drop).
    expect(engine.refused.length).toBeLessThanOrEqual(7);
    // Each reconnect asks for the scoped stream and list again.
    for (const filter of labelFiltersAsked(engine.refused.map((request) => request.request), "")) expect(filter).toEqual(SCOPED_FILTER);

    // The last good set stays while the source fails: "gone" is still there, "late" not yet.
    expect(await providerIds(hangar)).toEqual(["gone", "keep"]);
    expect(await dockerSourceView(hangar)).toMatchObject({ health: "error", providers: 2 });

    // The engine answers again: the next attempt reconnects and the full resync applies what was missed.
    engine.restore();
    await expectProviders(hangar, ["keep", "late"], "the resync after the reconnect", 20_000);
    // Removed through the drain: out of routing at once, stopped once its calls were done.
    await hangar.waitForStderr(/discovery: provider gone removed \(docker:proxied/, 5_000);
    await hangar.waitForStderr(/provider gone: READY → COLD \(config change \(drained\)\)/, 5_000);
    const healthy = await dockerSourceView(hangar);
    expect(healthy).toMatchObject({ health: "ok", providers: 2 });
    expect(healthy?.last_error).toBeUndefined();

    // The unchanged provider was left alone (same session, no restart); the new one serves.
    expect(await details(hangar.client, "keep")).toMatchObject({ state: "READY", starts: 1 });
    expect(textOf(await invoke(hangar.client, "keep", "echo", { message: "after the resync" }))).toBe("Echo: after the resync");
    await callWhenListening(hangar, "late", late, "found by the resync");
  });
});
