import type { ProviderSecuritySpec } from "../config/types.js";
import { ToolFilter } from "./tool-filter.js";

/** A provider's filters for what is not a tool: its prompts by name, its resources by URI. */
export interface RequestFilters {
  /** allow_prompts / deny_prompts, against the provider's own prompt names. */
  prompts: ToolFilter;
  /** allow_resources / deny_resources, against resource URIs as the provider gives them. */
  resources: ToolFilter;
}

const PASS_ALL: RequestFilters = { prompts: new ToolFilter({}), resources: new ToolFilter({}) };
const cache = new WeakMap<ProviderSecuritySpec, RequestFilters>();

/** The compiled prompt and resource filters of a provider, cached against its (immutable) security spec. */
export function requestFiltersOf(security: ProviderSecuritySpec | undefined): RequestFilters {
  if (security === undefined || !hasRequestFilters(security)) return PASS_ALL;
  let filters = cache.get(security);
  if (filters === undefined) {
    filters = {
      prompts: new ToolFilter({ allowTools: security.allowPrompts, denyTools: security.denyPrompts }, "prompts"),
      resources: new ToolFilter({ allowTools: security.allowResources, denyTools: security.denyResources }, "resources"),
    };
    cache.set(security, filters);
  }
  return filters;
}

function hasRequestFilters(security: ProviderSecuritySpec): boolean {
  return (
    security.allowPrompts !== undefined ||
    security.allowResources !== undefined ||
    (security.denyPrompts?.length ?? 0) > 0 ||
    (security.denyResources?.length ?? 0) > 0
  );
}
