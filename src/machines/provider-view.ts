import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { toolFilterOf } from "../security/tool-filter.js";
import type { ProviderStateName } from "../shared/domain-events.js";
import { commandOf, providerTarget, type ProviderTarget } from "./provider-target.js";
import type { BreakerStateName, ProviderContext, ProviderError, ProviderStats } from "./provider-types.js";

/** Where a listed tool comes from: the provider's live tools/list, or the config only. */
export type ToolSource = "live" | "predefined";

export interface ListedTool {
  tool: Tool;
  source: ToolSource;
}

/**
 * The tools a provider offers: its live tools ∪ its predefined tools, the live schema winning.
 * Live tools are kept after an idle stop, so stopping changes nothing a client sees.
 */
export function listedTools(context: Pick<ProviderContext, "liveTools" | "spec">): ListedTool[] {
  const listed = unfilteredTools(context);
  // allow_tools / deny_tools: a filtered tool is absent from every list built from here.
  const filter = toolFilterOf(context.spec.security);
  return filter.passesAll ? listed : listed.filter((item) => filter.allows(item.tool.name));
}

function unfilteredTools(context: Pick<ProviderContext, "liveTools" | "spec">): ListedTool[] {
  const live = context.liveTools ?? [];
  const listed: ListedTool[] = live.map((tool) => ({ tool, source: "live" }));
  if (context.spec.tools.length === 0) return listed;
  const liveNames = new Set(live.map((tool) => tool.name));
  for (const predefined of context.spec.tools) {
    if (liveNames.has(predefined.name)) continue;
    listed.push({ tool: predefined, source: "predefined" });
  }
  return listed;
}

/** What registry_list / registry_details / registry_status show of one provider. */
export interface ProviderView {
  id: string;
  mode: string;
  description: string | undefined;
  state: ProviderStateName;
  pid: number | undefined;
  uptimeS: number | undefined;
  inFlight: number;
  queued: number;
  stats: ProviderStats;
  lastError: ProviderError | undefined;
  tools: ListedTool[];
  serverInfo: { name: string; version: string } | undefined;
  protocolVersion: string | undefined;
  stderrTail: string[];
  command: string[];
  /** What runs the provider (command, image and isolation, or URL). */
  target: ProviderTarget;
  idleTtlS: number;
  health: {
    lastProbeAt: number | undefined;
    lastProbeOk: boolean | undefined;
    lastProbeMessage: string | undefined;
    consecutiveFailures: number;
  };
  breaker: { state: BreakerStateName; failures: number; retryAt: number | undefined };
  recovery: { restartCount: number; nextRestartAt: number | undefined };
}

export function providerView(context: ProviderContext, now = Date.now(), stderrLines = 200): ProviderView {
  return {
    id: context.spec.id,
    mode: context.spec.mode,
    description: context.spec.description,
    state: context.state,
    pid: context.pid,
    uptimeS: context.readyAt === undefined ? undefined : Math.round((now - context.readyAt) / 1000),
    inFlight: context.inFlight,
    queued: context.queue.length,
    stats: context.stats,
    lastError: context.lastError,
    tools: listedTools(context),
    serverInfo: context.serverInfo ? { name: context.serverInfo.name, version: context.serverInfo.version } : undefined,
    protocolVersion: context.protocolVersion,
    stderrTail: context.stderr.tail(stderrLines),
    command: commandOf(context.spec),
    target: providerTarget(context.spec),
    idleTtlS: context.spec.idleTtlS,
    health: {
      lastProbeAt: context.health.lastProbeAt,
      lastProbeOk: context.health.lastProbe?.ok,
      lastProbeMessage: context.health.lastProbe?.ok === false ? context.health.lastProbe.message : undefined,
      consecutiveFailures: context.health.consecutiveFailures,
    },
    breaker: {
      state: context.breaker.state,
      failures: context.breaker.failures,
      retryAt:
        context.breaker.state === "OPEN" && context.breaker.openedAt !== undefined
          ? context.breaker.openedAt + context.spec.circuitBreaker.resetTimeoutS * 1000
          : undefined,
    },
    recovery: { restartCount: context.recovery.restartCount, nextRestartAt: context.recovery.nextRestartAt },
  };
}
