import { ErrorCode, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { CallProgress } from "../machines/call.js";
import type { RequestHeaders } from "../observability/tracing/call-tracer.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { Caller } from "../security/admin-gate.js";
import type { SecurityControls } from "../security/security-controls.js";
import type { CallOrigin } from "../shared/call-origin.js";
import { redactor } from "../shared/redaction.js";
import type { ToolCatalogue } from "./tool-catalogue.js";
import { RpcError } from "./rpc-error.js";

/**
 * How a registry tool is defined: its zod schema is both its argument check and its listed
 * inputSchema. Shared by the registry tools (registry-tools.ts) and the group tools (group-tools.ts).
 */
export interface RegistryContext {
  runtime: HangarRuntime;
  catalogue: ToolCatalogue;
  /** Tool filters, allow lists, rate limits and argument checks for registry_invoke's call. */
  security?: SecurityControls;
}

export interface RegistryCallExtra {
  signal: AbortSignal;
  meta: Record<string, unknown> | undefined;
  /** The authenticated principal's name (HTTP front end), passed on with registry_invoke's call. */
  principal?: string;
  /** Who calls (principal and roles), for the security controls. */
  caller?: Caller;
  /** Progress of registry_invoke's call, back to the caller only. */
  onProgress?: (progress: CallProgress) => void;
  /** The client session that called (see ToolCall.origin): a provider's sampling during the call comes back to it. */
  origin?: CallOrigin;
  /** The client session and HTTP headers, for the call's trace. */
  sessionId?: string;
  headers?: RequestHeaders;
  /** The short route's early answer (see RoutedToolCallExtra), offered when no progress is asked for; a plain registry_invoke answers with it. */
  answerFirst?: (produce: () => CallToolResult) => void;
}

export interface RegistryTool<Schema extends z.ZodObject> {
  name: string;
  description: string;
  schema: Schema;
  readOnly: boolean;
  run: (args: z.infer<Schema>, context: RegistryContext, extra: RegistryCallExtra) => Promise<CallToolResult>;
}

/** A registry tool with its argument type erased: validation happens inside `call`. */
export interface ErasedRegistryTool {
  name: string;
  definition: Tool;
  call: (args: unknown, context: RegistryContext, extra: RegistryCallExtra) => Promise<CallToolResult>;
}

export function defineTool<Schema extends z.ZodObject>(tool: RegistryTool<Schema>): ErasedRegistryTool {
  return {
    name: tool.name,
    definition: {
      name: tool.name,
      description: tool.description,
      inputSchema: z.toJSONSchema(tool.schema, { target: "draft-2020-12" }) as Tool["inputSchema"],
      annotations: { readOnlyHint: tool.readOnly },
    },
    call: (args, context, extra) => {
      const parsed = tool.schema.safeParse(args ?? {});
      if (!parsed.success) {
        throw new RpcError(ErrorCode.InvalidParams, `invalid arguments for ${tool.name}: ${z.prettifyError(parsed.error)}`);
      }
      return tool.run(parsed.data, context, extra);
    },
  };
}

export function jsonResult(data: Record<string, unknown>): CallToolResult {
  const safe = redactor.redactValue(data) as Record<string, unknown>;
  return { content: [{ type: "text", text: JSON.stringify(safe, null, 2) }], structuredContent: safe };
}

