/**
 * Names and globs (`*` any run of characters, `?` one character, the rest literal) matched
 * against tool names. Compiled once into one RegExp.
 */
export class NamePatterns {
  private readonly exact: ReadonlySet<string>;
  private readonly globs: RegExp | undefined;

  constructor(readonly patterns: readonly string[]) {
    this.exact = new Set(patterns.filter((pattern) => !isGlob(pattern)));
    const globs = patterns.filter(isGlob);
    this.globs = globs.length === 0 ? undefined : new RegExp(`^(?:${globs.map(globToRegExp).join("|")})$`, "s");
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  matches(name: string): boolean {
    return this.exact.has(name) || (this.globs?.test(name) ?? false);
  }
}

export interface ToolFilterSpec {
  /** allow_tools: when given, only these tools exist. */
  allowTools?: readonly string[] | undefined;
  /** deny_tools: these tools never exist (deny wins over allow). */
  denyTools?: readonly string[] | undefined;
}

/**
 * A provider's allow_tools / deny_tools: which of its tools exist for clients at all. Applied
 * where a provider's tools are listed (predefined and live alike, and again whenever the
 * provider's list changes), so a filtered tool is absent from every list and unknown when called.
 */
export class ToolFilter {
  private readonly allow: NamePatterns | undefined;
  private readonly deny: NamePatterns;

  /** `kind` names the keys in refusals: `tools` (allow_tools / deny_tools), `prompts`, `resources`, `providers`. */
  constructor(
    spec: ToolFilterSpec,
    private readonly kind = "tools",
  ) {
    this.allow = spec.allowTools === undefined ? undefined : new NamePatterns(spec.allowTools);
    this.deny = new NamePatterns(spec.denyTools ?? []);
  }

  /** Whether this filter lets every tool through (the common case, checked to skip the work). */
  get passesAll(): boolean {
    return this.allow === undefined && this.deny.empty;
  }

  allows(toolName: string): boolean {
    if (this.deny.matches(toolName)) return false;
    return this.allow === undefined || this.allow.matches(toolName);
  }

  /** Why a tool is filtered out, for the error of a call naming it; undefined when it is not. */
  refusal(toolName: string): string | undefined {
    if (this.deny.matches(toolName)) return `it matches deny_${this.kind}`;
    if (this.allow !== undefined && !this.allow.matches(toolName)) return `it is not in allow_${this.kind}`;
    return undefined;
  }
}

const PASS_ALL = new ToolFilter({});
const filters = new WeakMap<ToolFilterSpec, ToolFilter>();

/** The compiled filter of a spec, cached against the spec object (specs are immutable config). */
export function toolFilterOf(spec: ToolFilterSpec | undefined): ToolFilter {
  if (spec === undefined || (spec.allowTools === undefined && (spec.denyTools?.length ?? 0) === 0)) return PASS_ALL;
  let filter = filters.get(spec);
  if (filter === undefined) {
    filter = new ToolFilter(spec);
    filters.set(spec, filter);
  }
  return filter;
}

function isGlob(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

function globToRegExp(glob: string): string {
  let out = "";
  for (const char of glob) {
    if (char === "*") out += ".*";
    else if (char === "?") out += ".";
    else out += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}
