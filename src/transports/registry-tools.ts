import { ErrorCode, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ProviderView } from "../machines/provider-view.js";
import { summarizeHealth } from "../runtime/health-summary.js";
import { redactor } from "../shared/redaction.js";
import { failureResult } from "./outcome-result.js";
import { statusText } from "./status-text.js";
import { targetDetails } from "./target-details.js";
import { GROUP_TOOLS } from "./group-tools.js";
import { defineTool, jsonResult, type ErasedRegistryTool, type RegistryCallExtra, type RegistryContext } from "./registry-tool-kit.js";
import { RpcError } from "./rpc-error.js";
import { RegistryRefusal } from "./registry-refusal.js";
import { plainInvoke } from "./checked-invoke.js";
import { invokeFields } from "./invoke-args.js";
import { INVOKE_TOOLS } from "./invoke-tools.js";
import { ANONYMOUS } from "../security/admin-gate.js";
import { knownProviders, reachOf, requireProvider } from "./caller-reach.js";

export type { RegistryCallExtra, RegistryContext };

/**
 * The registry tools (same names as the Python MCP Hangar's): manage and inspect providers, and
 * reach any provider tool by name — including those of providers that have never started.
 * Each tool's zod schema is both its argument check and its listed inputSchema.
 */
const providerArg = z.string().min(1).describe("Provider id, as in the config");

function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function toolSummary(view: ProviderView): Record<string, unknown> {
  return {
    id: view.id,
    state: view.state,
    mode: view.mode,
    description: view.description,
    tools: view.tools.map((item) => item.tool.name),
    tools_source: toolsSource(view),
  };
}

function toolsSource(view: ProviderView): string {
  const sources = new Set(view.tools.map((item) => item.source));
  if (sources.size === 0) return "none (start the provider to learn its tools)";
  return [...sources].sort().join("+");
}

/** The providers' views, only those the caller may reach (a denied provider is absent, not marked). */
async function reachableViews(context: RegistryContext, extra: RegistryCallExtra): Promise<ProviderView[]> {
  const reach = reachOf(context, extra);
  return (await context.runtime.status()).filter((view) => reach(view.id));
}

async function startAndDescribe(context: RegistryContext, providerId: string): Promise<Record<string, unknown>> {
  const result = await context.runtime.startProvider(providerId);
  const view = context.runtime.view(providerId);
  if (result.ok) return { provider: providerId, started: true, state: view?.state, tools: view?.tools.map((t) => t.tool.name) };
  return { provider: providerId, started: false, error: result.kind, message: result.message, stderr_tail: result.stderrTail ?? [] };
}

const registryList = defineTool({
  name: "registry_list",
  description: "List every provider with its state (COLD, INITIALIZING, READY, DEGRADED, DEAD), mode and tool names.",
  schema: z.object({}),
  readOnly: true,
  run: async (_args, context, extra) => {
    const views = await reachableViews(context, extra);
    return jsonResult({ providers: views.map(toolSummary) });
  },
});

const registryStart = defineTool({
  name: "registry_start",
  description: "Start a provider now (it would otherwise start on its first call) and wait until it is ready.",
  schema: z.object({ provider: providerArg }),
  readOnly: false,
  run: async ({ provider }, context, extra) => {
    requireProvider(context, reachOf(context, extra), provider);
    const outcome = await startAndDescribe(context, provider);
    if (outcome.started === true) return jsonResult(outcome);
    return failureResult("start_failed", String(outcome.message), outcome.stderr_tail as string[]);
  },
});

const registryStop = defineTool({
  name: "registry_stop",
  description: "Stop a running provider gracefully. Its tools stay listed; the next call starts it again.",
  schema: z.object({ provider: providerArg }),
  readOnly: false,
  run: async ({ provider }, context, extra) => {
    requireProvider(context, reachOf(context, extra), provider);
    await context.runtime.stopProvider(provider);
    return jsonResult({ provider, state: context.runtime.view(provider)?.state });
  },
});

const registryTools = defineTool({
  name: "registry_tools",
  description:
    "Show tools with their input schemas and flat names (<provider>__<tool>) — for one provider, or for all.",
  schema: z.object({ provider: providerArg.optional() }),
  readOnly: true,
  run: ({ provider }, context, extra) => {
    if (provider !== undefined) requireProvider(context, reachOf(context, extra), provider);
    const caller = extra.caller ?? ANONYMOUS;
    const visible = context.catalogue.entries(provider).filter((entry) => context.security?.providerToolVisible(caller, entry.flatName, entry.providerId) ?? true);
    const tools = visible.map((entry) => ({
      provider: entry.providerId,
      name: entry.tool.name,
      flat_name: entry.flatName,
      source: entry.source,
      description: entry.tool.description,
      inputSchema: entry.tool.inputSchema,
      annotations: entry.tool.annotations,
    }));
    return Promise.resolve(jsonResult({ tools }));
  },
});

const registryInvoke = defineTool({
  name: "registry_invoke",
  description:
    "Call a tool of a provider, starting the provider first if needed. The result is the tool's own. A group id picks a member (its _meta names the member).",
  schema: z.object(invokeFields),
  readOnly: false,
  run: (args, context, extra) => plainInvoke(args, context, extra),
});

const registryDetails = defineTool({
  name: "registry_details",
  description: "Everything about one provider: state, pid, uptime, calls, failures, last error, stderr tail, tools.",
  schema: z.object({ provider: providerArg }),
  readOnly: true,
  run: ({ provider }, context, extra) => {
    requireProvider(context, reachOf(context, extra), provider);
    const view = context.runtime.view(provider);
    if (!view) throw new RpcError(ErrorCode.InternalError, `provider '${provider}' vanished`);
    return Promise.resolve(
      jsonResult({
        id: view.id,
        mode: view.mode,
        description: view.description,
        state: view.state,
        pid: view.pid,
        uptime_s: view.uptimeS,
        in_flight: view.inFlight,
        queued: view.queued,
        calls: view.stats.calls,
        failures: view.stats.failures,
        starts: view.stats.starts,
        last_call_at: isoTime(view.stats.lastCallAt),
        last_error: view.lastError
          ? { kind: view.lastError.kind, message: view.lastError.message, at: new Date(view.lastError.at).toISOString() }
          : undefined,
        server_info: view.serverInfo,
        protocol_version: view.protocolVersion,
        command: view.command,
        ...targetDetails(view.target),
        idle_ttl_s: view.idleTtlS,
        health: {
          last_probe_at: isoTime(view.health.lastProbeAt),
          last_probe_ok: view.health.lastProbeOk,
          last_probe_error: view.health.lastProbeMessage,
          consecutive_failures: view.health.consecutiveFailures,
        },
        circuit_breaker: {
          state: view.breaker.state,
          failures: view.breaker.failures,
          retry_at: isoTime(view.breaker.retryAt),
        },
        restarts: { count: view.recovery.restartCount, next_restart_at: isoTime(view.recovery.nextRestartAt) },
        tools: view.tools.map((item) => ({ name: item.tool.name, source: item.source })),
        stderr_tail: view.stderrTail,
      }),
    );
  },
});

const registryWarm = defineTool({
  name: "registry_warm",
  description: "Start several providers at once (all when none are named) and report each one's outcome.",
  schema: z.object({ providers: z.array(providerArg).optional().describe("Provider ids; default: all") }),
  readOnly: false,
  run: async ({ providers }, context, extra) => {
    const reach = reachOf(context, extra);
    const ids = providers ?? knownProviders(context, reach);
    for (const id of ids) requireProvider(context, reach, id);
    const results = await Promise.all(ids.map((id) => startAndDescribe(context, id)));
    return jsonResult({ results });
  },
});

const registryHealth = defineTool({
  name: "registry_health",
  description: "The hangar's overall health (healthy, degraded, failing), counts by state, and each provider's failures.",
  schema: z.object({}),
  readOnly: true,
  run: async (_args, context, extra) => jsonResult({ ...summarizeHealth(await reachableViews(context, extra)) }),
});

const registryStatus = defineTool({
  name: "registry_status",
  description:
    "A compact text dashboard of all providers. With `chart` (a provider id): that provider's state chart as Mermaid text instead, its current states highlighted.",
  schema: z.object({
    chart: providerArg.optional().describe("Provider id: return its chart as a Mermaid stateDiagram with its current states highlighted"),
  }),
  readOnly: true,
  run: async ({ chart }, context, extra) => {
    const { runtime } = context;
    if (chart !== undefined) {
      requireProvider(context, reachOf(context, extra), chart);
      const value = runtime.stateValue(chart);
      if (value === undefined) throw new RpcError(ErrorCode.InternalError, `provider '${chart}' vanished`);
      // The chart drawing (~0.4 MB of code) loads on the first request for a picture.
      const { providerChartMermaid } = await import("../tools/provider-chart.js");
      return { content: [{ type: "text", text: redactor.redact(providerChartMermaid(chart, value)) }] };
    }
    const views = await reachableViews(context, extra);
    return { content: [{ type: "text", text: redactor.redact(statusText(views, summarizeHealth(views))) }] };
  },
});

const registryHistory = defineTool({
  name: "registry_history",
  description:
    "A provider's recent state transitions (starts, stops, crashes, restarts, breaker, recovery) and tool calls, from the audit trail — across hangar restarts.",
  schema: z.object({
    provider: providerArg,
    limit: z.number().int().positive().max(1000).optional().describe("The newest this many of each (default 50)"),
  }),
  readOnly: true,
  run: ({ provider, limit }, context, extra) => {
    requireProvider(context, reachOf(context, extra), provider);
    const history = context.runtime.history;
    if (history === undefined) {
      throw new RpcError(ErrorCode.InvalidRequest, "the audit trail is off (audit.enabled: false in the config), so there is no history to show");
    }
    return Promise.resolve(jsonResult({ provider, ...history.recent(provider, limit ?? 50) }));
  },
});

const registryDiscover = defineTool({
  name: "registry_discover",
  description:
    "Run every discovery source now and report what changed: added, updated, removed, quarantined, conflicts and errors.",
  schema: z.object({}),
  readOnly: false,
  run: async (_args, { runtime }) => jsonResult({ ...(await runtime.discover()) }),
});

const registrySources = defineTool({
  name: "registry_sources",
  description: "Each discovery source: mode, health, last sync, provider count, last error, and items it rejected (e.g. broken files).",
  schema: z.object({}),
  readOnly: true,
  run: async (_args, { runtime }) => jsonResult({ sources: await runtime.sources() }),
});

const registryQuarantine = defineTool({
  name: "registry_quarantine",
  description:
    "Discovered providers held back until approved (sources with quarantine: true), with their specs, and items sources rejected (e.g. provider files with errors).",
  schema: z.object({}),
  readOnly: true,
  run: async (_args, { runtime }) => {
    const [held, sources] = await Promise.all([runtime.quarantine(), runtime.sources()]);
    return jsonResult({
      quarantined: held.map((item) => ({ provider: item.provider, source: item.source, spec: item.spec })),
      // Items a source could not use (a provider file with errors): their last good version, if any, keeps running.
      rejected: sources.flatMap((source) => source.rejected.map((item) => ({ source: source.source, ...item }))),
    });
  },
});

const registryApprove = defineTool({
  name: "registry_approve",
  description: "Approve a quarantined provider: it leaves quarantine and is added at once.",
  schema: z.object({ provider: providerArg }),
  readOnly: false,
  run: async ({ provider }, { runtime }) => {
    const outcome = await runtime.approve(provider);
    if (!outcome.ok) throw new RegistryRefusal(outcome.message, { providerId: provider });
    return jsonResult({ provider, approved: true, message: outcome.message });
  },
});

const REGISTRY_TOOLS: ErasedRegistryTool[] = [
  registryList,
  registryStart,
  registryStop,
  registryTools,
  registryInvoke,
  registryDetails,
  registryWarm,
  registryHealth,
  registryStatus,
  registryHistory,
  ...GROUP_TOOLS,
  ...INVOKE_TOOLS,
  registryDiscover,
  registrySources,
  registryQuarantine,
  registryApprove,
];

const BY_NAME = new Map(REGISTRY_TOOLS.map((tool) => [tool.name, tool]));

export const REGISTRY_TOOL_DEFINITIONS: Tool[] = REGISTRY_TOOLS.map((tool) => tool.definition);

export function isRegistryTool(name: string): boolean {
  return BY_NAME.has(name);
}

export function callRegistryTool(
  name: string,
  args: Record<string, unknown> | undefined,
  context: RegistryContext,
  extra: RegistryCallExtra,
): Promise<CallToolResult> {
  const tool = BY_NAME.get(name);
  if (!tool) throw new RpcError(ErrorCode.InvalidParams, `unknown registry tool '${name}'`);
  return tool.call(args, context, extra);
}
