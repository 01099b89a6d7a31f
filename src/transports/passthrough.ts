import type { ExposeMode } from "../config/types.js";
import { log as hangarLog } from "../observability/log.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { ClientHub } from "./client-hub.js";
import { PromptCatalogue } from "./prompt-catalogue.js";
import { ResourceCatalogue } from "./resource-catalogue.js";

/**
 * What every front-end session of one hangar shares for the passthrough of everything besides
 * tools: the client hub (which the provider connections were built with, see cli/main.ts) and the
 * aggregated resource and prompt views.
 */
export interface Passthrough {
  hub: ClientHub;
  resources: ResourceCatalogue;
  prompts: PromptCatalogue;
}

const byRuntime = new WeakMap<HangarRuntime, Passthrough>();

/** The one Passthrough of a runtime, made on first use. */
export function passthroughOf(runtime: HangarRuntime): Passthrough {
  let passthrough = byRuntime.get(runtime);
  if (passthrough === undefined) {
    // Without a bridge (a runtime built for tests) the hub still aggregates; providers just never reach clients.
    const hub = runtime.bridge instanceof ClientHub ? runtime.bridge : new ClientHub(hangarLog);
    passthrough = {
      hub,
      resources: new ResourceCatalogue(runtime, hub, hangarLog),
      prompts: new PromptCatalogue(runtime, hub, hangarLog),
    };
    byRuntime.set(runtime, passthrough);
  }
  return passthrough;
}

/** The hangar's own words, by what `expose` lists: a model reading them must not look for tools that are not there. */
const OWN_INSTRUCTIONS: Readonly<Record<ExposeMode, string>> = {
  both:
    "mcp-hangar manages several MCP providers. Provider tools are listed as <provider>__<tool>; " +
    "registry_* tools list, start, stop and inspect providers and can call any provider tool.",
  tools: "mcp-hangar manages several MCP providers. Provider tools are listed as <provider>__<tool>.",
  registry:
    "mcp-hangar manages several MCP providers. registry_* tools list, start, stop and inspect them; " +
    "registry_tools shows a provider's tools and registry_invoke calls one.",
};

/**
 * The hangar's own instructions (for what `expose` lists), followed by each provider's under its id: what the provider said
 * at initialize, or — while it has never started — the description from its config. Only the
 * providers the session's principal reaches (`reaches`; undefined: all), so a denied provider's
 * name and description never reach its client.
 */
export function combinedInstructions(runtime: HangarRuntime, hub: ClientHub, expose: ExposeMode, reaches?: (providerId: string) => boolean): string {
  const sections = [OWN_INSTRUCTIONS[expose]];
  for (const id of runtime.providerIds()) {
    if (reaches !== undefined && !reaches(id)) continue;
    const text = hub.info(id)?.instructions ?? runtime.spec(id)?.description;
    if (text !== undefined && text.trim() !== "") sections.push(`## ${id}\n${text.trim()}`);
  }
  return sections.join("\n\n");
}
