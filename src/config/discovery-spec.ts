import { resolve } from "node:path";
import type { RawDiscovery } from "./discovery-schema.js";
import type { DiscoverySourceSpec } from "./types.js";

/** The validated `discovery` section → source specs (paths resolved against the config's folder). */
export function toDiscoverySpecs(raw: RawDiscovery, base: string): DiscoverySourceSpec[] {
  return raw.sources.map((source): DiscoverySourceSpec => {
    const name = source.name ?? source.type;
    const common = {
      id: `${source.type}:${name}`,
      name,
      mode: source.mode,
      graceS: source.grace_s,
      quarantine: source.quarantine,
      maxProviders: source.max_providers ?? raw.max_providers_per_source,
    };
    switch (source.type) {
      case "filesystem":
        return { ...common, type: "filesystem", path: resolve(base, source.path), pattern: source.pattern };
      case "packages":
        return { ...common, type: "packages", paths: source.paths.map((path) => resolve(base, path)) };
      case "docker":
        return {
          ...common,
          type: "docker",
          socket: source.socket,
          address: source.address,
          publishedHost: source.published_host,
          labels: Object.entries(source.labels ?? {}).map(([key, value]) => ({ key, value: value === true || value === "" ? undefined : String(value) })),
        };
      case "kubernetes":
        return {
          ...common,
          type: "kubernetes",
          namespaces: source.namespaces,
          labelSelector: source.label_selector,
          kubeconfig: source.kubeconfig === undefined ? undefined : resolve(base, source.kubeconfig),
          context: source.context,
        };
    }
  });
}
