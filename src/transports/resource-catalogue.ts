import { UriTemplate } from "@modelcontextprotocol/sdk/shared/uriTemplate.js";
import type { Resource, ResourceTemplate } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../observability/log.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { ClientHub } from "./client-hub.js";
import { gatherLists, providersOffering, reaches, type RequestContext } from "./provider-fanout.js";

const PROVIDER_META = "mcp-hangar/provider";

/**
 * Resources of every provider, under the URIs the providers give them (URIs are addresses, not
 * names: they are never rewritten). A URI→provider index, rebuilt from each list, routes reads
 * and subscriptions; templates route the URIs they match. Two providers listing one URI is a
 * collision: the provider listed first in the config keeps it, and the other is reported.
 * A caller sees and routes only through the providers it reaches (RequestContext.reaches): the
 * index is shared, but a URI another provider serves is unknown to it.
 */
export class ResourceCatalogue {
  /** providerId → its URIs, from its last successful list. */
  private readonly uris = new Map<string, string[]>();
  private readonly byUri = new Map<string, string>();
  private readonly templates = new Map<string, UriTemplate[]>();
  /** Providers asked for their lists at least once (answered or not): an unknown URI lists only the others. */
  private readonly asked = new Set<string>();

  constructor(
    private readonly runtime: HangarRuntime,
    private readonly hub: ClientHub,
    private readonly log: Logger,
  ) {}

  async list(context: RequestContext): Promise<Resource[]> {
    const lists = await gatherLists<Resource>(this.runtime, this.hub, "resources", "resources/list", "resources", context, this.onListFailed);
    for (const id of this.runtime.providerIds()) if (reaches(context, id)) this.asked.add(id);
    const resources: Resource[] = [];
    for (const id of this.runtime.providerIds()) {
      const items = lists.get(id);
      if (items === undefined) continue;
      this.uris.set(id, items.map((item) => item.uri));
      for (const item of items) resources.push({ ...item, _meta: { ...item._meta, [PROVIDER_META]: id } });
    }
    this.reindex();
    return resources.filter((item) => this.byUri.get(item.uri) === item._meta?.[PROVIDER_META]);
  }

  async listTemplates(context: RequestContext): Promise<ResourceTemplate[]> {
    const lists = await gatherLists<ResourceTemplate>(
      this.runtime,
      this.hub,
      "resources",
      "resources/templates/list",
      "resourceTemplates",
      context,
      this.onListFailed,
    );
    const templates: ResourceTemplate[] = [];
    for (const id of this.runtime.providerIds()) {
      const items = lists.get(id);
      if (items === undefined) continue;
      this.templates.set(id, items.flatMap((item) => compile(item.uriTemplate)));
      for (const item of items) templates.push({ ...item, _meta: { ...item._meta, [PROVIDER_META]: id } });
    }
    return templates;
  }

  /**
   * The provider that serves a URI to this caller: the one that listed it, else one whose template
   * matches it, else — when only one provider the caller reaches serves resources at all — that
   * one. Lists first the providers it reaches that were never asked. A URI served by a provider
   * the caller may not reach is unknown to it (undefined), so the answer names no such provider.
   */
  async providerFor(uri: string, context: RequestContext): Promise<string | undefined> {
    const known = this.lookup(uri, context);
    if (known !== undefined) return known;
    if (this.runtime.providerIds().some((id) => reaches(context, id) && !this.asked.has(id))) {
      await Promise.all([this.list(context), this.listTemplates(context)]);
      const found = this.lookup(uri, context);
      if (found !== undefined) return found;
    }
    const offering = providersOffering(this.runtime, this.hub, "resources", context);
    return offering.length === 1 ? offering[0] : undefined;
  }

  private lookup(uri: string, context: RequestContext): string | undefined {
    const listed = this.byUri.get(uri);
    if (listed !== undefined && reaches(context, listed)) return listed;
    for (const id of this.runtime.providerIds()) {
      if (reaches(context, id) && this.templates.get(id)?.some((template) => template.match(uri) !== null) === true) return id;
    }
    return undefined;
  }

  /** Rebuilds the index in config order, so the first provider keeps a shared URI. */
  private reindex(): void {
    this.byUri.clear();
    for (const id of this.runtime.providerIds()) {
      for (const uri of this.uris.get(id) ?? []) {
        const owner = this.byUri.get(uri);
        if (owner === undefined) this.byUri.set(uri, id);
        else if (owner !== id) this.log.warn(`resource URI collision: '${uri}' is listed by '${owner}' and '${id}'; '${owner}' serves it`);
      }
    }
  }

  private readonly onListFailed = (providerId: string, error: unknown): void => {
    this.log.debug("a provider's resources could not be listed", { provider: providerId, error: String(error) });
  };
}

function compile(template: string): UriTemplate[] {
  try {
    return [new UriTemplate(template)];
  } catch {
    return [];
  }
}
