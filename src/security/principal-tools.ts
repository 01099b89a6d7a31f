import type { Caller } from "./admin-gate.js";
import { NamePatterns } from "./tool-filter.js";

/**
 * http.auth.principals.<name>.allow_tools: a principal with a list sees and calls only the tools
 * whose flat names (`math__add`, `registry_list`) match it; principals without one see everything
 * else the hangar offers them.
 */
export class PrincipalTools {
  private readonly lists = new Map<string, NamePatterns>();

  constructor(allowTools: Readonly<Record<string, readonly string[]>>) {
    for (const [principal, patterns] of Object.entries(allowTools)) this.lists.set(principal, new NamePatterns(patterns));
  }

  /** Whether any principal has a list (the front end skips the check when not). */
  get active(): boolean {
    return this.lists.size > 0;
  }

  allows(caller: Caller, flatName: string): boolean {
    if (caller.principal === undefined) return true;
    return this.lists.get(caller.principal)?.matches(flatName) ?? true;
  }
}
