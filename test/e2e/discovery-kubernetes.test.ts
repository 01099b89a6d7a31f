import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, jsonOf, useE2E } from "../helpers/cli.js";
import { expectProviders, listedProviders, providerIds, sourcesSynced } from "../helpers/discovery.js";
import { FakeKubeApi } from "../helpers/fake-kube-api.js";

const e2e = useE2E();
let api: FakeKubeApi | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The fake API server, started, and a kubeconfig file `name` pointing at it. */
async function startApi(name: string): Promise<{ server: FakeKubeApi; kubeconfig: string }> {
  const server = new FakeKubeApi();
  const url = await server.start();
  const kubeconfig = join(e2e.dir(), name);
  writeFileSync(kubeconfig, server.kubeconfig(url));
  return { server, kubeconfig };
}

const MCP = { "mcp.hangar.io/enabled": "true", "mcp.hangar.io/port": "8080" };

describe("Kubernetes discovery (against a local server speaking the API's list and watch wire format)", () => {
  it("adds Running, Ready pods with an IP as remote providers and removes them when they go, through relists after 410 Gone", { timeout: 60_000 }, async () => {
    const { server, kubeconfig } = await startApi("kubeconfig.yaml");
    api = server;
    // Present before the hangar starts: found by the first list.
    api.apply({ name: "early-7d9f", annotations: { ...MCP, "mcp.hangar.io/name": "early" }, phase: "Running", ready: true, podIP: "10.1.0.5" });
    api.apply({ name: "web-1", labels: { app: "web" }, phase: "Running", ready: true, podIP: "10.1.0.6" });
    api.apply({ name: "dns", namespace: "kube-system", annotations: MCP, phase: "Running", ready: true, podIP: "10.1.0.7" });

    const hangar = await e2e.start({
      providers: { fixed: { command: fixtureCommand("echo-server.js", e2e.marker()), tools: [{ name: "pid" }] } },
      discovery: { sources: [{ type: "kubernetes", name: "cluster", kubeconfig, namespaces: ["default", "team"] }] },
    });
    // Only the annotated pod in an allowed namespace; kube-system is denied unless listed.
    expect(await sourcesSynced(hangar)).toMatchObject([{ source: "kubernetes:cluster", health: "ok" }]);
    await expectProviders(hangar, ["early", "fixed"], "the pod listed at start");
    const early = (await listedProviders(hangar)).find((p) => p.id === "early");
    expect(early).toMatchObject({ mode: "remote", state: "COLD" });
    const details = jsonOf(await callTool(hangar.client, "registry_details", { provider: "early" }));
    expect(JSON.stringify(details)).toContain("http://10.1.0.5:8080/mcp");

    // A new pod is no provider until it runs, is ready and has an IP.
    api.apply({ name: "worker-0", namespace: "team", annotations: { ...MCP, "mcp.hangar.io/path": "/rpc" }, phase: "Pending" });
    api.bookmark();
    api.apply({ name: "worker-0", namespace: "team", annotations: { ...MCP, "mcp.hangar.io/path": "/rpc" }, phase: "Running", ready: false, podIP: "10.2.0.9" });
    const sources = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: { providers: number; health: string }[] };
    expect(sources.sources[0]).toMatchObject({ providers: 1, health: "ok" });
    expect(await providerIds(hangar)).toEqual(["early", "fixed"]);
    api.apply({ name: "worker-0", namespace: "team", annotations: { ...MCP, "mcp.hangar.io/path": "/rpc" }, phase: "Running", ready: true, podIP: "10.2.0.9" });
    await expectProviders(hangar, ["early", "fixed", "worker-0"], "the pod once ready");
    expect(JSON.stringify(jsonOf(await callTool(hangar.client, "registry_details", { provider: "worker-0" })))).toContain("http://10.2.0.9:8080/rpc");

    // Not ready any more: removed.
    api.apply({ name: "worker-0", namespace: "team", annotations: { ...MCP, "mcp.hangar.io/path": "/rpc" }, phase: "Running", ready: false, podIP: "10.2.0.9" });
    await expectProviders(hangar, ["early", "fixed"], "the pod that stopped being ready to go");

    // The watch is cut and the history compacted: re-watching from the old resourceVersion gets
    // 410 Gone, the client lists again — and sees that `early` was deleted meanwhile.
    const listsBefore = api.requests.list;
    api.compactAndDropWatches();
    api.delete("early-7d9f");
    await expectProviders(hangar, ["fixed"], "the deleted pod to go after the relist");
    expect(api.requests.gone).toBeGreaterThan(0);
    expect(api.requests.list).toBeGreaterThan(listsBefore);

    // Watching goes on after the relist.
    api.apply({ name: "late", annotations: MCP, phase: "Running", ready: true, podIP: "10.1.0.8" });
    await expectProviders(hangar, ["fixed", "late"], "a pod added after the relist");
    api.delete("late");
    await expectProviders(hangar, ["fixed"], "a deleted pod");
  });

  it("a source between its first list and its watch is still waiting, not ok with no providers", { timeout: 60_000 }, async () => {
    const { server, kubeconfig } = await startApi("kubeconfig-held.yaml");
    api = server;
    api.apply({ name: "listed", annotations: MCP, phase: "Running", ready: true, podIP: "10.1.0.5" });
    api.holdWatches();
    const hangar = await e2e.start({ discovery: { sources: [{ type: "kubernetes", kubeconfig }] } });
    // Listed, and the pod is in the client's cache; its watch is not answered yet.
    await eventually(() => Promise.resolve((api?.requests.watch ?? 0) > 0 || undefined), 30_000, "the client to list and ask to watch");
    // A sync's report is folded in before registry_discover answers.
    await callTool(hangar.client, "registry_discover");
    const sources = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: { providers: number; health: string }[] };
    expect(sources.sources[0]).toMatchObject({ health: "waiting", providers: 0 });
    api.releaseWatches();
    expect(await sourcesSynced(hangar)).toMatchObject([{ health: "ok", providers: 1 }]);
    await expectProviders(hangar, ["listed"], "the listed pod");
  });

  it("an unreachable API server is reported; the source keeps its last good set", { timeout: 60_000 }, async () => {
    const { server, kubeconfig } = await startApi("kubeconfig-down.yaml");
    api = server;
    api.apply({ name: "steady", annotations: MCP, phase: "Running", ready: true, podIP: "10.1.0.5" });
    const hangar = await e2e.start({
      discovery: { sources: [{ type: "kubernetes", kubeconfig }] },
    });
    expect(await sourcesSynced(hangar)).toMatchObject([{ health: "ok", providers: 1 }]);
    await expectProviders(hangar, ["steady"], "the pod");
    await api.close();
    api = undefined;
    const failing = await eventually(async () => {
      const result = jsonOf(await callTool(hangar.client, "registry_discover")) as { errors: { source: string; message: string }[] };
      return result.errors.length > 0 ? result.errors : undefined;
    }, 10_000, "the error to be reported");
    expect(failing[0]?.source).toBe("kubernetes:kubernetes");
    expect(await providerIds(hangar)).toEqual(["steady"]);
  });
});
