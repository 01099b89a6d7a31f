import { ANONYMOUS } from "../security/admin-gate.js";
import { RegistryRefusal } from "./registry-refusal.js";
import type { RegistryCallExtra, RegistryContext } from "./registry-tool-kit.js";

/** Whether the caller may reach a provider or group id (its principal's allow_providers / deny_providers). */
export type Reach = (id: string) => boolean;

const EVERYTHING: Reach = () => true;

/**
 * What the registry tools show a caller: only the providers and groups it may reach. A denied
 * one is absent from every view and unknown by name — the same answer, word for word, as an id
 * no config has, so neither a list nor an error text tells the caller it exists.
 */
export function reachOf(context: RegistryContext, extra: Pick<RegistryCallExtra, "caller">): Reach {
  return context.security?.reachOf(extra.caller ?? ANONYMOUS) ?? EVERYTHING;
}

export function knownProviders(context: RegistryContext, reach: Reach): string[] {
  return context.runtime.providerIds().filter(reach);
}

export function knownGroups(context: RegistryContext, reach: Reach): string[] {
  return context.runtime.groupIds().filter(reach);
}

function unknownProvider(id: string, providers: string[]): string {
  return `unknown provider '${id}'; known providers: ${providers.join(", ") || "(none)"}`;
}

/** A provider the caller may reach, or the refusal (RegistryRefusal: recorded, hidden or unknown, by the tool kit). */
export function requireProvider(context: RegistryContext, reach: Reach, id: string): void {
  const exists = context.runtime.hasProvider(id);
  if (exists && reach(id)) return;
  throw new RegistryRefusal(unknownProvider(id, knownProviders(context, reach)), { providerId: id, hidden: exists });
}

/**
 * registry_invoke takes a provider or a group id. An id that exists but the caller may not reach
 * is refused as unknown, and recorded as not allowed; `subject` is what the record names (the
 * call's flat tool name).
 */
export function requireProviderOrGroup(context: RegistryContext, reach: Reach, id: string, subject?: string): void {
  const exists = context.runtime.hasProvider(id) || context.runtime.hasGroup(id);
  if (exists && reach(id)) return;
  const groups = knownGroups(context, reach);
  throw new RegistryRefusal(
    unknownProvider(id, knownProviders(context, reach)) + (groups.length > 0 ? `; known groups: ${groups.join(", ")}` : ""),
    { providerId: id, subject, hidden: exists },
  );
}
