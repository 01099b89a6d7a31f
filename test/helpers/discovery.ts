import { callTool, eventually, jsonOf, type RunningHangar } from "./cli.js";

/** What registry_list says of each provider, for the discovery tests. */
export interface ListedProvider {
  id: string;
  mode: string;
  state: string;
}

export async function listedProviders(hangar: RunningHangar): Promise<ListedProvider[]> {
  return (jsonOf(await callTool(hangar.client, "registry_list")) as { providers: ListedProvider[] }).providers;
}

export async function providerIds(hangar: RunningHangar): Promise<string[]> {
  return (await listedProviders(hangar)).map((provider) => provider.id).sort();
}

/**
 * Waits until every discovery source has reported once (registry_sources says ok or error, no
 * longer waiting), and returns what it says of them. A Kubernetes or Docker source loads its
 * client library when it starts (≈ 2 s of CPU for @kubernetes/client-node, many times that on a
 * loaded machine), so the first sync's wait is long; what a test then checks of the applied set
 * waits on its own, shorter bound.
 */
export async function sourcesSynced(hangar: RunningHangar, timeoutMs = 30_000): Promise<SourceRow[]> {
  return eventually(async () => {
    const { sources } = jsonOf(await callTool(hangar.client, "registry_sources")) as { sources: SourceRow[] };
    return sources.length > 0 && sources.every((source) => source.health !== "waiting") ? sources : undefined;
  }, timeoutMs, "every discovery source's first sync");
}

/** registry_sources' row of a source, as far as the tests read it. */
export interface SourceRow {
  source: string;
  type: string;
  health: "ok" | "error" | "waiting";
  providers: number;
  last_error?: string;
}

/** Waits until the hangar's providers are exactly `ids` (a source's change has been applied). */
export function expectProviders(hangar: RunningHangar, ids: string[], what: string, timeoutMs = 5_000): Promise<string[]> {
  const wanted = [...ids].sort().join(",");
  return eventually(async () => {
    const now = await providerIds(hangar);
    return now.join(",") === wanted ? now : undefined;
  }, timeoutMs, what);
}

/** Whether an HTTP server answers at `url` (any status): a container's server listens a moment after it runs. */
export async function listening(url: string): Promise<boolean> {
  try {
    await fetch(url, { method: "GET", signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
