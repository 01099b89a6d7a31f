import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { ANONYMOUS } from "../security/admin-gate.js";
import type { RegistryCallExtra, RegistryContext } from "./registry-tool-kit.js";
import { RpcError } from "./rpc-error.js";

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

export function requireProvider(context: RegistryContext, reach: Reach, id: string): void {
  if (context.runtime.hasProvider(id) && reach(id)) return;
  throw new RpcError(ErrorCode.InvalidParams, unknownProvider(id, knownProviders(context, reach)));
}

/**
 * registry_invoke takes a provider or a group id. `onHidden` runs when the id exists but the
 * caller may not reach it (the caller is still told it is unknown).
 */
export function requireProviderOrGroup(context: RegistryContext, reach: Reach, id: string, onHidden?: () => void): void {
  const exists = context.runtime.hasProvider(id) || context.runtime.hasGroup(id);
  if (exists && reach(id)) return;
  if (exists) onHidden?.();
  const groups = knownGroups(context, reach);
  throw new RpcError(
    ErrorCode.InvalidParams,
    unknownProvider(id, knownProviders(context, reach)) + (groups.length > 0 ? `; known groups: ${groups.join(", ")}` : ""),
  );
}
