import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { newCorrelationId } from "../shared/correlation-id.js";
import { z } from "zod";
import type { CallOutcome, CallProgress } from "../machines/call.js";
import { isRetrySafe } from "../shared/retry-safety.js";
import { checkedInvoke, plainInvoke, type InvokeArgs } from "./checked-invoke.js";
import { invokeFields } from "./invoke-args.js";
import { outcomeToResult } from "./outcome-result.js";
import { defineTool, type ErasedRegistryTool, type RegistryCallExtra, type RegistryContext } from "./registry-tool-kit.js";

/** Failure kinds registry_invoke_ex retries by default: the provider could not answer, not "it answered no". */
const DEFAULT_RETRY_ON = ["timeout", "transport", "crash", "unavailable", "start_failed"] as const;
const RETRY_KINDS = [...DEFAULT_RETRY_ON, "tool_error", "rpc_error"] as const;
type RetryKind = (typeof RETRY_KINDS)[number];

/** What one attempt's outcome means for a retry: its kind, or undefined for a success. */
function retryKindOf(outcome: CallOutcome): RetryKind | undefined {
  if (outcome.status === "rpc_error") return "rpc_error";
  if (outcome.status === "result") return outcome.kind === "tool_error" ? "tool_error" : undefined;
  return outcome.kind === "rejected" || outcome.kind === "cancelled" ? undefined : outcome.kind;
}

function reasonOf(outcome: CallOutcome): string {
  if (outcome.status === "result") return "the tool returned isError";
  return outcome.message;
}

/** The outcome as a result with the hangar's metadata under `_meta["mcp-hangar/invoke"]` (the provider's own _meta kept). */
function withMeta(outcome: CallOutcome, meta: Record<string, unknown>): CallToolResult {
  const result = outcomeToResult(outcome);
  return { ...result, _meta: { ...result._meta, "mcp-hangar/invoke": meta } };
}

const registryInvokeEx = defineTool({
  name: "registry_invoke_ex",
  description:
    "registry_invoke with retries and metadata: retries up to max_retries on the failure kinds in retry_on_error " +
    "(only tools annotated readOnlyHint or idempotentHint, unless force_retry), and reports the correlation id, " +
    "attempts, total time and each retry's reason in _meta['mcp-hangar/invoke'].",
  schema: z.object({
    ...invokeFields,
    max_retries: z.number().int().min(0).max(10).default(0).describe("Retries after the first attempt (0–10)"),
    retry_on_error: z
      .array(z.enum(RETRY_KINDS))
      .optional()
      .describe(`Outcome kinds that are retried (default: ${DEFAULT_RETRY_ON.join(", ")}; add tool_error or rpc_error to retry those)`),
    force_retry: z.boolean().default(false).describe("Retry even a tool not annotated as safe to repeat"),
    correlation_id: z.string().min(1).max(200).optional().describe("Carried with every attempt (logs, events); generated when absent"),
  }),
  readOnly: false,
  run: async (args, context, extra) => {
    const correlationId = args.correlation_id ?? newCorrelationId();
    const retryOn = new Set<RetryKind>(args.retry_on_error ?? DEFAULT_RETRY_ON);
    const started = performance.now();
    const retries: { attempt: number; kind: RetryKind; reason: string }[] = [];
    for (let attempt = 1; ; attempt++) {
      const checked = await checkedInvoke(args, context, extra, { correlationId });
      if ("refused" in checked) return checked.refused;
      const { outcome, tool } = checked;
      const kind = retryKindOf(outcome);
      const safe = isRetrySafe(tool?.annotations) || args.force_retry;
      const again = kind !== undefined && retryOn.has(kind) && safe && attempt <= args.max_retries && !extra.signal.aborted;
      if (!again) {
        const meta: Record<string, unknown> = {
          correlation_id: correlationId,
          attempts: attempt,
          total_ms: Math.round(performance.now() - started),
          retries,
        };
        if (kind !== undefined && retryOn.has(kind) && !safe && attempt <= args.max_retries) {
          meta.not_retried = `'${args.tool}' is not annotated readOnlyHint or idempotentHint (set force_retry to retry it anyway)`;
        }
        return withMeta(outcome, meta);
      }
      retries.push({ attempt, kind, reason: reasonOf(outcome) });
    }
  },
});

/** The lifecycle stages registry_invoke_stream reports, in order, as progress 1–4. */
const STAGES = ["cold start", "initializing", "ready", "executing"] as const;

/**
 * Sends the lifecycle stages of one call as progress (each at most once, in order), then the
 * provider's own progress after them, so the numbers keep increasing as the protocol requires.
 */
class StageReporter {
  private reached = 0;

  constructor(private readonly send: (progress: CallProgress) => void) {}

  stage(name: (typeof STAGES)[number]): void {
    const index = STAGES.indexOf(name) + 1;
    if (index <= this.reached) return;
    // A cold start passes through every stage even when events arrive out of order (the queued
    // call goes out in the same step that enters READY): the ones skipped are reported first.
    const from = this.reached === 0 ? index : this.reached + 1;
    this.reached = index;
    for (let stage = from; stage <= index; stage++) this.send({ progress: stage, message: STAGES[stage - 1] ?? name });
  }

  readonly provider = (progress: CallProgress): void => {
    this.stage("executing");
    // Above the last stage even for a provider that starts at 0.
    const base = STAGES.length + 1;
    this.send({
      progress: base + progress.progress,
      ...(progress.total === undefined ? {} : { total: base + progress.total }),
      ...(progress.message === undefined ? {} : { message: progress.message }),
    });
  };
}

async function invokeStream(args: InvokeArgs, context: RegistryContext, extra: RegistryCallExtra): Promise<CallToolResult> {
  const send = extra.onProgress;
  if (send === undefined) {
    // Without a progressToken there is nobody to stream to: a plain registry_invoke.
    return plainInvoke(args, context, extra);
  }
  const reporter = new StageReporter(send);
  const correlationId = newCorrelationId();
  const state = context.runtime.view(args.provider)?.state;
  if (state === "COLD" || state === "DEAD") reporter.stage("cold start");
  const stop = context.runtime.events.subscribe((event) => {
    if (event.type === "ProviderStateChanged" && event.providerId === args.provider) {
      if (event.to === "INITIALIZING") reporter.stage("initializing");
      if (event.to === "READY" || event.to === "DEGRADED") reporter.stage("ready");
    } else if (event.type === "ToolInvocationRequested" && event.correlationId === correlationId) {
      reporter.stage("executing");
    }
  });
  try {
    const checked = await checkedInvoke(args, context, extra, { correlationId, onProgress: reporter.provider });
    return "refused" in checked ? checked.refused : outcomeToResult(checked.outcome);
  } finally {
    stop();
  }
}

const registryInvokeStream = defineTool({
  name: "registry_invoke_stream",
  description:
    "registry_invoke with progress notifications (send a progressToken): the lifecycle stages — cold start, initializing, " +
    "ready, executing — as progress 1–4, then the provider's own progress p (of total t) as 5 + p (of 5 + t).",
  schema: z.object(invokeFields),
  readOnly: false,
  run: (args, context, extra) => invokeStream(args, context, extra),
});

/** registry_invoke_ex and registry_invoke_stream, listed with the other registry tools. */
export const INVOKE_TOOLS: ErasedRegistryTool[] = [registryInvokeEx, registryInvokeStream];
