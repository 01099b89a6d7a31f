import type { ListToolsResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import type { ExposeMode } from "../config/types.js";
import type { Caller } from "../security/admin-gate.js";
import type { SecurityControls } from "../security/security-controls.js";
import { withJsonBytes } from "./message-text.js";
import { REGISTRY_TOOL_DEFINITIONS } from "./registry-tools.js";
import type { ToolCatalogue } from "./tool-catalogue.js";

/**
 * The tools/list answer `caller` gets, built from the catalogue as it is now: the registry tools
 * (unless expose is `tools`) and the providers' tools under their flat names (unless expose is
 * `registry`), each only if the caller may see it. No pagination: one page, no nextCursor.
 */
export function buildToolList(catalogue: ToolCatalogue, security: SecurityControls, expose: ExposeMode, caller: Caller): ListToolsResult {
  const tools: Tool[] = [];
  if (expose !== "tools") tools.push(...REGISTRY_TOOL_DEFINITIONS.filter((tool) => security.registryToolVisible(caller, tool.name)));
  if (expose !== "registry") {
    for (const entry of catalogue.entries()) if (security.providerToolVisible(caller, entry.flatName, entry.providerId)) tools.push(entry.listed);
  }
  return { tools };
}

/**
 * A front end's tools/list answers, built once per catalogue version and caller view, then
 * answered as they are — with their JSON made once (withJsonBytes), so each list costs the
 * transport a string concatenation with the request id instead of re-serializing ≈ 150 KB.
 * Desktop clients list again on every tools/list_changed, and over HTTP many clients list.
 *
 * The answers are kept per SecurityControls.viewKey (callers that see the same tools share one;
 * one principal never gets another's) and dropped as soon as the catalogue's version moves
 * (a provider's tools learned or changed, a provider or group added, replaced or removed —
 * config reload and discovery included). Nothing else a list shows can change while the hangar
 * runs: expose and the principals' lists are read at start-up only.
 */
export class ToolLists {
  private readonly answers = new Map<string, Readonly<ListToolsResult>>();
  private version = -1;

  constructor(
    readonly catalogue: ToolCatalogue,
    readonly security: SecurityControls,
    readonly expose: ExposeMode,
  ) {}

  answer(caller: Caller): Readonly<ListToolsResult> {
    if (this.version !== this.catalogue.version) {
      this.answers.clear();
      this.version = this.catalogue.version;
    }
    const key = this.security.viewKey(caller);
    let answer = this.answers.get(key);
    if (answer === undefined) {
      const built = buildToolList(this.catalogue, this.security, this.expose, caller);
      Object.freeze(built.tools);
      answer = withJsonBytes(built);
      this.answers.set(key, answer);
    }
    return answer;
  }
}

/** One ToolLists per front end, found by its SecurityControls (one per front end, shared by all its sessions). */
const perFrontEnd = new WeakMap<SecurityControls, ToolLists>();

/** The tools/list answers shared by the sessions of the front end that owns `security`. */
export function toolListsOf(catalogue: ToolCatalogue, security: SecurityControls, expose: ExposeMode): ToolLists {
  const known = perFrontEnd.get(security);
  if (known !== undefined && known.catalogue === catalogue && known.expose === expose) return known;
  const lists = new ToolLists(catalogue, security, expose);
  perFrontEnd.set(security, lists);
  return lists;
}
