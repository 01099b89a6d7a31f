import { ErrorCode, type Result } from "@modelcontextprotocol/sdk/types.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { Caller } from "../security/admin-gate.js";
import type { ProviderRequestTarget, SecurityControls } from "../security/security-controls.js";
import type { CallOrigin } from "../shared/call-origin.js";
import type { ClientHub } from "./client-hub.js";
import { RpcError } from "./rpc-error.js";

/** Who asks, for requests other than tools/call: carried with the call like a tool call's. */
export interface RequestContext {
  signal?: AbortSignal;
  principal?: string;
  origin?: CallOrigin;
  /**
   * The providers the caller may reach (its principal's allow_providers / deny_providers): a list
   * fans out to these only, so asking for a list never starts a provider the caller is denied,
   * and a name or URI served by another provider is unknown to this caller. Undefined: all.
   */
  reaches?: (providerId: string) => boolean;
}

/** Whether the caller of `context` may reach `providerId`. */
export function reaches(context: RequestContext, providerId: string): boolean {
  return context.reaches === undefined || context.reaches(providerId);
}

export type ProviderCapability = "resources" | "prompts" | "completions" | "logging";

/** A provider that pages forever must not hang a list. */
const MAX_PAGES = 100;

/**
 * One request of any method to one provider, through the supervisor like a tool call: a cold
 * provider starts (single flight), the breaker and timeouts apply. The provider's result comes
 * back untouched; its JSON-RPC error is forwarded as such; the hangar's own failure is an error too.
 */
export async function requestProvider(
  runtime: HangarRuntime,
  providerId: string,
  method: string,
  params: Record<string, unknown> | undefined,
  context: RequestContext,
): Promise<Result> {
  const outcome = await runtime.invoke(providerId, method, undefined, {
    request: { method, params },
    signal: context.signal,
    principal: context.principal,
    origin: context.origin,
  });
  switch (outcome.status) {
    case "result":
      return outcome.result;
    case "rpc_error":
      throw new RpcError(outcome.code, outcome.message, outcome.data);
    case "failure":
      throw new RpcError(ErrorCode.InternalError, `provider '${providerId}' could not answer ${method}: ${outcome.message}`);
  }
}

/**
 * A request the client addresses to one provider (resources/read, prompts/get, …): admitted by
 * the security controls like a tool call — the principal's provider lists, the provider's prompt
 * and resource filters, the same rate-limit buckets — and then sent. The hangar's own fan-outs
 * (lists, logging/setLevel) use requestProvider directly.
 */
export async function admittedRequest(
  runtime: HangarRuntime,
  admission: { security: SecurityControls; caller: Caller },
  target: ProviderRequestTarget,
  params: Record<string, unknown> | undefined,
  context: RequestContext,
): Promise<Result> {
  admission.security.admitRequest(admission.caller, target);
  return requestProvider(runtime, target.providerId, target.method, params, context);
}

/**
 * Providers that may serve a capability to the caller of `context`: those it reaches whose
 * initialize said so, and those that never started (asking starts them: lists are aggregated
 * lazily, on the first request that needs them).
 */
export function providersOffering(runtime: HangarRuntime, hub: ClientHub, capability: ProviderCapability, context: RequestContext): string[] {
  return runtime.providerIds().filter((id) => {
    if (!reaches(context, id)) return false;
    const info = hub.info(id);
    return info === undefined || info.capabilities?.[capability] !== undefined;
  });
}

/** Every page of a list method (`resources/list`, `prompts/list`, …) from one provider. */
export async function listAll<T>(
  runtime: HangarRuntime,
  providerId: string,
  method: string,
  key: string,
  context: RequestContext,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await requestProvider(runtime, providerId, method, cursor === undefined ? undefined : { cursor }, context);
    const list = (result as Record<string, unknown>)[key];
    if (Array.isArray(list)) items.push(...(list as T[]));
    const next = (result as { nextCursor?: unknown }).nextCursor;
    if (typeof next !== "string" || next === cursor) return items;
    cursor = next;
  }
  return items;
}

/**
 * A list method from every provider that may serve it to this caller (a provider it may not
 * reach is never asked, so never started); providers that fail are left out (and logged by the caller).
 */
export async function gatherLists<T>(
  runtime: HangarRuntime,
  hub: ClientHub,
  capability: ProviderCapability,
  method: string,
  key: string,
  context: RequestContext,
  onError: (providerId: string, error: unknown) => void,
): Promise<Map<string, T[]>> {
  const ids = providersOffering(runtime, hub, capability, context);
  const lists = await Promise.all(
    ids.map((id) =>
      listAll<T>(runtime, id, method, key, context).then(
        (items) => [id, items] as const,
        (error: unknown) => {
          onError(id, error);
          return undefined;
        },
      ),
    ),
  );
  const byProvider = new Map<string, T[]>();
  for (const entry of lists) if (entry !== undefined) byProvider.set(entry[0], entry[1]);
  return byProvider;
}
