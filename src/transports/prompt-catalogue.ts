import type { Prompt } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../observability/log.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { ClientHub } from "./client-hub.js";
import { exposedName } from "./exposed-names.js";
import { gatherLists, reaches, type RequestContext } from "./provider-fanout.js";

export interface PromptEntry {
  providerId: string;
  /** The provider's own name for the prompt. */
  name: string;
}

/**
 * Prompts of every provider under `<provider>__<prompt>` (the provider's own name with
 * `passthrough_names: true`), like tools. A name two providers would share stays with the
 * provider listed first in the config, and the other is reported. A list asks only the providers
 * the caller reaches (RequestContext.reaches).
 */
export class PromptCatalogue {
  private readonly byName = new Map<string, PromptEntry>();

  constructor(
    private readonly runtime: HangarRuntime,
    private readonly hub: ClientHub,
    private readonly log: Logger,
  ) {}

  async list(context: RequestContext): Promise<Prompt[]> {
    const lists = await gatherLists<Prompt>(this.runtime, this.hub, "prompts", "prompts/list", "prompts", context, (id, error) => {
      this.log.debug("a provider's prompts could not be listed", { provider: id, error: String(error) });
    });
    const prompts: Prompt[] = [];
    for (const id of this.runtime.providerIds()) {
      const items = lists.get(id);
      if (items === undefined) continue;
      for (const [name, entry] of this.byName) if (entry.providerId === id) this.byName.delete(name);
      const passthrough = this.runtime.spec(id)?.passthroughNames;
      for (const prompt of items) {
        const name = exposedName(id, prompt.name, passthrough);
        const owner = this.byName.get(name);
        if (owner !== undefined && owner.providerId !== id) {
          this.log.warn(`prompt name collision: '${name}' of '${id}' is already '${owner.providerId}'s; it is not listed`);
          continue;
        }
        this.byName.set(name, { providerId: id, name: prompt.name });
        prompts.push({ ...prompt, name, _meta: { ...prompt._meta, "mcp-hangar/provider": id, "mcp-hangar/prompt": prompt.name } });
      }
    }
    return prompts;
  }

  /**
   * The provider and own name behind an exposed prompt name; an unknown name lists again first (it
   * may be new). A prompt of a provider the caller may not reach is unknown to it, like a name no
   * provider has — the caller learns nothing about that provider, and it is never started for this.
   */
  async resolve(name: string, context: RequestContext): Promise<PromptEntry | undefined> {
    if (!this.byName.has(name)) await this.list(context);
    const entry = this.byName.get(name);
    return entry !== undefined && reaches(context, entry.providerId) ? entry : undefined;
  }
}
