import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import { providerSystemId } from "./provider-id.js";
import type { ProviderContext } from "./provider-types.js";
import { listedTools } from "./provider-view.js";

/**
 * A member's annotations for one tool, read from its provider actor (live tools, else the
 * predefined ones). Only a failed call asks, to decide whether it may run again elsewhere.
 */
export function toolAnnotations(system: { get: (systemId: string) => unknown }, memberId: string, tool: string): ToolAnnotations | undefined {
  const provider = system.get(providerSystemId(memberId)) as { getSnapshot: () => { context: ProviderContext } } | undefined;
  if (provider === undefined) return undefined;
  return listedTools(provider.getSnapshot().context).find((listed) => listed.tool.name === tool)?.tool.annotations;
}
