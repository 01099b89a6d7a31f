import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolSource } from "../machines/provider-view.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { log } from "../observability/log.js";
import { exposedName } from "./exposed-names.js";

export interface CatalogueEntry {
  flatName: string;
  providerId: string;
  /** The provider's own tool, as it listed it (or as predefined). */
  tool: Tool;
  source: ToolSource;
  /** What tools/list shows: the provider's tool under its flat name. */
  listed: Tool;
}

/** Events after which a provider's entries are rebuilt: its tools changed, or it came or went. */
const MEMBERSHIP_OR_TOOLS = new Set<string>(["ProviderToolsChanged", "ProviderAdded", "ProviderReplaced", "ProviderRemoved"]);
/** Events after which a group's entries are rebuilt: it came or went, or its members changed. */
const GROUP_CHANGES = new Set<string>(["GroupAdded", "GroupReplaced", "GroupRemoved", "GroupRebalanced"]);

/**
 * The aggregated tool view: every provider tool under `<provider>__<tool>`. Rebuilt only when a
 * provider's tools change (domain event), never per call; the flat-name lookup on the call
 * path is one Map.get.
 */
export class ToolCatalogue {
  private readonly byFlatName = new Map<string, CatalogueEntry>();
  private readonly byProvider = new Map<string, CatalogueEntry[]>();
  private readonly signatures = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private changes = 0;

  constructor(private readonly runtime: HangarRuntime) {
    // Groups are listed like providers: `<group>__<tool>` for the union of their members' tools.
    for (const id of [...runtime.providerIds(), ...runtime.groupIds()]) this.refresh(id);
    this.unsubscribe = runtime.events.subscribe((event) => {
      let affected: string[];
      if (GROUP_CHANGES.has(event.type)) affected = [(event as { groupId: string }).groupId];
      else if (MEMBERSHIP_OR_TOOLS.has(event.type)) {
        const providerId = (event as { providerId: string }).providerId;
        affected = [providerId, ...runtime.groupsOf(providerId)];
      } else return;
      // Every affected entry is refreshed (no short-circuit), then listeners hear once.
      if (affected.map((id) => this.refresh(id)).includes(true)) {
        for (const listener of this.listeners) listener();
      }
    });
  }

  /** Called whenever the aggregated list changes (the front end sends tools/list_changed). */
  onChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Changes whenever entries() may answer differently (an entry added, replaced or removed):
   * what is derived from the entries (the tools/list answers, tool-lists.ts) is kept until it does.
   */
  get version(): number {
    return this.changes;
  }

  /** How many listeners (front-end sessions) watch the list: each closed session must leave. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  resolve(flatName: string): CatalogueEntry | undefined {
    return this.byFlatName.get(flatName);
  }

  entries(providerId?: string): CatalogueEntry[] {
    if (providerId !== undefined) return this.byProvider.get(providerId) ?? [];
    return [...this.byProvider.values()].flat();
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.listeners.clear();
  }

  /** Rebuilds one provider's entries; true when what clients see changed. */
  private refresh(providerId: string): boolean {
    // A group id is listed like a provider's; only an id that is neither has gone.
    if (!this.runtime.hasProvider(providerId) && !this.runtime.hasGroup(providerId)) return this.forget(providerId);
    const listed = this.runtime.tools(providerId);
    const passthroughNames = this.runtime.spec(providerId)?.passthroughNames;
    // The names shown follow passthrough_names too: a reload that changes only it renames every tool.
    const signature = `${passthroughNames === true ? "own names" : "flat names"} ${JSON.stringify(listed.map((item) => item.tool))}`;
    if (this.signatures.get(providerId) === signature) return false;
    this.signatures.set(providerId, signature);
    for (const old of this.byProvider.get(providerId) ?? []) this.byFlatName.delete(old.flatName);
    const entries = listed.flatMap(({ tool, source }): CatalogueEntry[] => {
      const flatName = exposedName(providerId, tool.name, passthroughNames);
      const owner = this.byFlatName.get(flatName);
      if (owner !== undefined && owner.providerId !== providerId) {
        // Only names kept by passthrough_names can meet; the config refused what it could see.
        log.warn(`tool name collision: '${flatName}' of '${providerId}' is already '${owner.providerId}'s; it is not listed`);
        return [];
      }
      return [{
        flatName,
        providerId,
        tool,
        source,
        listed: { ...tool, name: flatName, _meta: { ...tool._meta, "mcp-hangar/provider": providerId, "mcp-hangar/tool": tool.name } },
      }];
    });
    for (const entry of entries) this.byFlatName.set(entry.flatName, entry);
    this.byProvider.set(providerId, entries);
    this.changes++;
    return true;
  }

  /** A removed provider's entries go; true when it had any. */
  private forget(providerId: string): boolean {
    const old = this.byProvider.get(providerId) ?? [];
    for (const entry of old) this.byFlatName.delete(entry.flatName);
    if (this.byProvider.delete(providerId)) this.changes++;
    this.signatures.delete(providerId);
    return old.length > 0;
  }
}
