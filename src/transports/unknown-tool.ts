import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { Caller } from "../security/admin-gate.js";
import type { SecurityControls } from "../security/security-controls.js";
import { toolFilterOf } from "../security/tool-filter.js";
import { REGISTRY_TOOL_DEFINITIONS } from "./registry-tools.js";
import type { ToolCatalogue } from "./tool-catalogue.js";
import { FLAT_NAME_SEPARATOR } from "./tool-names.js";

/** How many tool names an "unknown tool" error lists before it says "and N more". */
const KNOWN_TOOLS_SHOWN = 30;

export interface UnknownToolContext {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  security: SecurityControls;
  caller: Caller;
  /** Whether the registry tools and the providers' tools are exposed (the config's `expose`). */
  registry: boolean;
  providerTools: boolean;
}

/**
 * The words for a tools/call by a name no tool the caller reaches has: the tools it could have
 * meant — only those it may see, so the error names nothing hidden from it. A name that starts
 * with a provider's id and separator while that provider has not listed its tools yet (it never
 * started, and its config predefines none or not this one) says so and how to reach the tool —
 * unless the provider's tool filter or the caller's tool list would refuse it anyway: a client
 * sees a provider's tools by flat name only once it knows them.
 */
export function unknownToolMessage(name: string, context: UnknownToolContext): string {
  const { catalogue, security, caller, registry, providerTools } = context;
  const known = [
    ...(providerTools ? catalogue.entries().filter((entry) => security.providerToolVisible(caller, entry.flatName, entry.providerId)).map((entry) => entry.flatName) : []),
    ...(registry ? REGISTRY_TOOL_DEFINITIONS.filter((tool) => security.registryToolVisible(caller, tool.name)).map((tool) => tool.name) : []),
  ];
  const shown = known.slice(0, KNOWN_TOOLS_SHOWN).join(", ");
  const more = known.length > KNOWN_TOOLS_SHOWN ? ` and ${known.length - KNOWN_TOOLS_SHOWN} more` : "";
  const unlisted = providerTools ? unlistedProviderOf(name, context) : undefined;
  if (unlisted !== undefined) return `unknown tool '${name}'; ${notListedYet(unlisted, registry)}; known tools now: ${shown}${more}`;
  const hint = registry ? " (a provider that has not started yet may list more: see registry_tools)" : "";
  return `unknown tool '${name}'; known tools: ${shown}${more}${hint}`;
}

interface UnlistedProvider {
  providerId: string;
  tool: string;
  state: string;
  predefined: number;
}

/** The provider the name's prefix names, when the caller may see it and its own tool list is not known yet. */
function unlistedProviderOf(name: string, { runtime, catalogue, security, caller }: UnknownToolContext): UnlistedProvider | undefined {
  let best: string | undefined;
  for (const id of runtime.providerIds()) {
    if (name.startsWith(`${id}${FLAT_NAME_SEPARATOR}`) && id.length > (best?.length ?? -1) && security.providerVisible(caller, id)) best = id;
  }
  if (best === undefined) return undefined;
  const entries = catalogue.entries(best);
  if (entries.some((entry) => entry.source === "live")) return undefined;
  const tool = name.slice(best.length + FLAT_NAME_SEPARATOR.length);
  // A tool its config (allow_tools, deny_tools) or the caller's tool list keeps from it is just unknown.
  if (toolFilterOf(runtime.spec(best)?.security).refusal(tool) !== undefined || !security.providerToolVisible(caller, name, best)) return undefined;
  return { providerId: best, tool, state: runtime.view(best)?.state ?? "COLD", predefined: entries.length };
}

function notListedYet({ providerId, tool, state, predefined }: UnlistedProvider, registry: boolean): string {
  const config = predefined === 0 ? "its config predefines no tools" : `its config predefines ${predefined} tool${predefined === 1 ? "" : "s"}, not '${tool}'`;
  const reach = registry
    ? `call registry_invoke with {"provider": ${JSON.stringify(providerId)}, "tool": ${JSON.stringify(tool)}}, which starts it, or start it (registry_start) and call this name again`
    : "start it (warm: true in its config starts it with the hangar) or predefine the tool under its tools:";
  return `provider '${providerId}' has not listed its tools yet (it is ${state}, and ${config}): ${reach}`;
}
