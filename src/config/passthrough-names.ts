import type * as z from "zod";
import { flatToolName } from "../transports/tool-names.js";

/** Tool names a provider with `passthrough_names: true` may not use: the hangar's own tools. */
const RESERVED_PREFIX = "registry_";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function predefinedNames(provider: Record<string, unknown>): string[] {
  const tools = provider.tools;
  if (!Array.isArray(tools)) return [];
  return tools.map((tool: unknown) => (isRecord(tool) && typeof tool.name === "string" ? tool.name : undefined)).filter((name) => name !== undefined);
}

/**
 * `passthrough_names: true` lists a provider's tools and prompts under their own names. Names
 * that would then collide are refused here, as far as the config shows them: with the hangar's
 * registry_* tools, or with a name another provider's listed tools take. More than one such
 * provider is allowed only when each lists its tools in the config, so that the check is complete.
 */
export function checkPassthroughNames(providers: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const passthrough = Object.entries(providers).filter(([, provider]) => isRecord(provider) && provider.passthrough_names === true);
  if (passthrough.length === 0) return;
  if (passthrough.length > 1) {
    for (const [id, provider] of passthrough) {
      if (isRecord(provider) && predefinedNames(provider).length === 0) {
        ctx.addIssue({
          code: "custom",
          path: [id, "passthrough_names"],
          message: `${passthrough.length} providers (${passthrough.map(([other]) => other).join(", ")}) set passthrough_names: true; then each must list its tools (tools:) so that name collisions can be refused at load — '${id}' lists none`,
        });
      }
    }
  }
  const owners = new Map<string, string>();
  for (const [id, provider] of Object.entries(providers)) {
    if (!isRecord(provider)) continue;
    const own = provider.passthrough_names === true;
    predefinedNames(provider).forEach((name, index) => {
      const exposed = own ? name : flatToolName(id, name);
      if (own && exposed.startsWith(RESERVED_PREFIX)) {
        ctx.addIssue({
          code: "custom",
          path: [id, "tools", index, "name"],
          message: `with passthrough_names: true, tool '${name}' would be listed under its own name, and registry_* names belong to the hangar`,
        });
      }
      const owner = owners.get(exposed);
      if (owner !== undefined && owner !== id) {
        ctx.addIssue({
          code: "custom",
          path: [id, own ? "passthrough_names" : "tools"],
          message: `tool '${name}' of '${id}' would be listed as '${exposed}', which '${owner}' already lists (passthrough_names: true drops the '<provider>__' prefix)`,
        });
      } else owners.set(exposed, id);
    });
  }
}
