import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { callTool, FIXTURES, fixtureCommand, textOf, useE2E } from "../helpers/cli.js";
import { sourcesSynced } from "../helpers/discovery.js";

/**
 * A feature's heavy library is loaded when the config turns the feature on, never at start-up:
 * the Kubernetes client (~50 MB resident) and dockerode (~11 MB) weigh more than the rest of the
 * hangar. The hangar runs with a preload that records every module it loads (ES modules as they
 * resolve, CommonJS files at exit).
 */
const e2e = useE2E();

const RECORD_LOADS = pathToFileURL(join(FIXTURES, "record-loads.js")).href;
const KUBERNETES = /@kubernetes\/client-node/;
const DOCKERODE = /(^|\/)dockerode(\/|$)/;
/** prom-client is read only over HTTP (--metrics-port, --http); the SDK's HTTP client only reaches remote providers. */
const PROM_CLIENT = /(^|\/)prom-client(\/|$)/;
const SDK_HTTP_CLIENT = /sdk\/(dist\/(esm|cjs)\/)?client\/(streamableHttp|sse|auth)\.js$/;
/** `yaml`'s document model reads only a config the quick reader leaves to it, or one with problems to report. */
const YAML_DOCUMENTS = /(^|\/)yaml(\/|$)/;
/** The audit command, the HTTP plan (tokens, guards) and the chart drawing load when asked for. */
const ON_REQUEST = /(^|\/)(audit-command|http\/plan|provider-chart)\.js$/;
/** Each discovery source's module loads with the first source of its type; the container launcher with the first container provider. */
const DISCOVERY_SOURCES = /(^|\/)(discovery-(filesystem|packages|docker|kubernetes)|watched-source)\.js$/;
const CONTAINERS = /(^|\/)container-(launcher|process|engine|leftovers|labels)\.js$/;

function recordingEnv(file: string): Record<string, string> {
  return { NODE_OPTIONS: `--import=${RECORD_LOADS}`, RECORD_LOADS_FILE: file };
}

function loadedModules(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : [];
}

function provider(marker: string) {
  return { echo: { command: fixtureCommand("echo-server.js", marker), tools: [{ name: "echo" }] } };
}

describe("feature libraries load on demand", () => {
  it("a hangar without containers, discovery sources, remote providers or a metrics reader loads neither the Kubernetes client, dockerode, prom-client, the SDK's HTTP client, yaml's document model, the discovery sources nor the container launcher", async () => {
    const loads = join(e2e.dir(), "loads-plain.txt");
    const hangar = await e2e.start({ providers: provider(e2e.marker()) }, { env: recordingEnv(loads) });
    expect(textOf(await callTool(hangar.client, "echo__echo", { text: "plain" }))).toBe("plain");
    await hangar.close();
    await hangar.exited;

    const modules = loadedModules(loads);
    // The recording sees both loaders: the SDK resolves as an ES module, better-sqlite3 (the
    // audit trail, on by default) is required as CommonJS.
    expect(modules).toContain("@modelcontextprotocol/sdk/server/index.js");
    expect(modules.some((path) => path.includes("/node_modules/better-sqlite3/"))).toBe(true);
    expect(modules.filter((specifier) => KUBERNETES.test(specifier) || DOCKERODE.test(specifier))).toEqual([]);
    // Nothing reads metrics without --metrics-port or --http, and every provider is local.
    expect(modules.filter((specifier) => PROM_CLIENT.test(specifier) || SDK_HTTP_CLIENT.test(specifier))).toEqual([]);
    // A valid config is read by js-yaml alone (src/config/quick-yaml.ts).
    expect(modules).toContain("js-yaml");
    expect(modules.filter((specifier) => YAML_DOCUMENTS.test(specifier) || ON_REQUEST.test(specifier))).toEqual([]);
    expect(modules.filter((specifier) => DISCOVERY_SOURCES.test(specifier) || CONTAINERS.test(specifier))).toEqual([]);
  });

  it("a Kubernetes and a Docker source load their libraries when they start, and report what they cannot reach", { timeout: 60_000 }, async () => {
    const loads = join(e2e.dir(), "loads-sources.txt");
    const hangar = await e2e.start(
      {
        providers: provider(e2e.marker()),
        discovery: {
          sources: [
            { type: "kubernetes", name: "cluster", kubeconfig: join(e2e.dir(), "no-such-kubeconfig.yaml") },
            { type: "docker", name: "engine", socket: join(e2e.dir(), "no-such-docker.sock") },
          ],
        },
      },
      { env: recordingEnv(loads) },
    );
    // The sources run (after their library loaded) and say why they hold no providers.
    const statuses = await sourcesSynced(hangar);
    expect(statuses.map((source) => source.health)).toEqual(["error", "error"]);
    expect(statuses.find((source) => source.type === "kubernetes")?.last_error).toContain("kubeconfig");
    expect(statuses.find((source) => source.type === "docker")?.last_error).toContain("no-such-docker.sock");
    // Answered again on request (registry_discover), through the same deferred start.
    expect(textOf(await callTool(hangar.client, "registry_discover"))).not.toBe("");
    await hangar.close();
    await hangar.exited;

    const modules = loadedModules(loads);
    expect(modules.some((specifier) => KUBERNETES.test(specifier))).toBe(true);
    expect(modules.some((path) => DOCKERODE.test(path))).toBe(true);
    // Only the two types configured: their source modules (the Docker one with its Engine glue), not the folder watchers'.
    const sourceModules = modules.filter((specifier) => DISCOVERY_SOURCES.test(specifier)).map((specifier) => specifier.replace(/^.*\//, ""));
    expect(new Set(sourceModules)).toEqual(new Set(["discovery-kubernetes.js", "discovery-docker.js"]));
    expect(modules.some((specifier) => /(^|\/)container-engine\.js$/.test(specifier))).toBe(true);
  });
});
