/**
 * Which callers may use the registry tools that change what runs — start, stop or warm providers,
 * discover or approve them (and see the quarantine they are approved from, and the sources' status
 * with the files they rejected and why), rebalance groups. A model talked into it by a prompt
 * injection must not be able to switch providers off or approve a quarantined one, so over HTTP
 * these tools are for principals with the `admin` role unless the config says otherwise. Every
 * name here is a registry tool (test/security/admin-tools.test.ts); the config is reloaded by
 * SIGHUP or watch_config, not by a tool.
 */
export const ADMIN_TOOLS: ReadonlySet<string> = new Set([
  "registry_start",
  "registry_stop",
  "registry_warm",
  "registry_approve",
  "registry_quarantine",
  "registry_sources",
  "registry_discover",
  "registry_group_rebalance",
]);

/** The role a principal gets from a `name:token:admin` token entry. */
export const ADMIN_ROLE = "admin";

export type FrontEnd = "stdio" | "http";

/** Who makes a request, as the front end authenticated it. */
export interface Caller {
  /** The principal's name (HTTP with tokens); undefined over stdio or without authentication. */
  principal: string | undefined;
  /** Roles from the principal's token entry (`admin`). */
  roles: readonly string[];
}

export const ANONYMOUS: Caller = { principal: undefined, roles: [] };

export class AdminGate {
  private readonly everyone: boolean;

  /**
   * `adminTools` is registry.admin_tools; unset, it is true over stdio (the one local client is
   * its user's) and false over HTTP (only admin principals).
   */
  constructor(adminTools: boolean | undefined, frontEnd: FrontEnd) {
    this.everyone = adminTools ?? frontEnd === "stdio";
  }

  static isAdminTool(name: string): boolean {
    return ADMIN_TOOLS.has(name);
  }

  /** Whether `caller` may see and call the admin tools. */
  allows(caller: Caller): boolean {
    return this.everyone || caller.roles.includes(ADMIN_ROLE);
  }

  /** The refusal's words for a caller that may not. */
  refusal(name: string): string {
    return `'${name}' is an admin tool: it needs a principal with the admin role (a name:token:admin entry) or registry.admin_tools: true`;
  }
}
