import type { Caller } from "./admin-gate.js";
import { ToolFilter } from "./tool-filter.js";

export interface PrincipalProviderLists {
  /** allow_providers: when given, the principal reaches only these provider and group ids (or globs). */
  allow: readonly string[] | undefined;
  /** deny_providers: ids (or globs) the principal never reaches (deny wins). */
  deny: readonly string[];
}

/**
 * http.auth.principals.<name>.allow_providers / deny_providers: which providers (and groups) a
 * principal may reach at all — their tools, resources, prompts and completions alike. The ids are
 * the ones the client addresses: a principal allowed a group reaches it whichever member serves.
 */
export class PrincipalProviders {
  private readonly filters = new Map<string, ToolFilter>();

  constructor(lists: Readonly<Record<string, PrincipalProviderLists>>) {
    for (const [principal, { allow, deny }] of Object.entries(lists)) {
      this.filters.set(principal, new ToolFilter({ allowTools: allow, denyTools: deny }, "providers"));
    }
  }

  /** Whether any principal has a list (the front end skips the check when not). */
  get active(): boolean {
    return this.filters.size > 0;
  }

  /** Whether `caller` has lists of its own (else it reaches every provider). */
  restricts(caller: Caller): boolean {
    return caller.principal !== undefined && this.filters.has(caller.principal);
  }

  allows(caller: Caller, providerId: string): boolean {
    if (caller.principal === undefined) return true;
    return this.filters.get(caller.principal)?.allows(providerId) ?? true;
  }

  /** Why `caller` may not reach `providerId`, for the refusal; undefined when it may. */
  refusal(caller: Caller, providerId: string): string | undefined {
    if (caller.principal === undefined) return undefined;
    const why = this.filters.get(caller.principal)?.refusal(providerId);
    if (why === undefined) return undefined;
    return `provider '${providerId}' is not available to principal '${caller.principal}': ${why} (http.auth.principals.${caller.principal})`;
  }
}
