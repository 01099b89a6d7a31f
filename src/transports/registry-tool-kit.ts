import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { CallProgress } from "../machines/call.js";
import type { RequestHeaders } from "../observability/tracing/call-tracer.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { ANONYMOUS, type Caller } from "../security/admin-gate.js";
import type { ArgumentViolation } from "../security/argument-validator.js";
import type { SecurityControls } from "../security/security-controls.js";
import type { CallOrigin } from "../shared/call-origin.js";
import { redactor } from "../shared/redaction.js";
import { failureResult } from "./outcome-result.js";
import { RegistryRefusal, type RefusedTarget } from "./registry-refusal.js";
import { pointerPath, schemaProblems, type SchemaIssue } from "./schema-issues.js";
import type { ToolCatalogue } from "./tool-catalogue.js";

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

/**
 * A registry tool with its argument type erased: validation happens inside `call`. Arguments the
 * schema does not have are refused as wrong types are (the listed inputSchema says
 * `additionalProperties: false`): a misspelt optional argument must not be silently ignored.
 */
export interface ErasedRegistryTool {
  name: string;
  definition: Tool;
  call: (args: unknown, context: RegistryContext, extra: RegistryCallExtra) => Promise<CallToolResult>;
}

export function defineTool<Schema extends z.ZodObject>(tool: RegistryTool<Schema>): ErasedRegistryTool {
  const strict = tool.schema.strict();
  return {
    name: tool.name,
    definition: {
      name: tool.name,
      description: tool.description,
      inputSchema: z.toJSONSchema(tool.schema, { target: "draft-2020-12" }) as Tool["inputSchema"],
      annotations: { readOnlyHint: tool.readOnly },
    },
    call: (args, context, extra) => {
      const given = args ?? {};
      const parsed = strict.safeParse(given);
      if (!parsed.success) {
        const result = invalidArgumentsResult(tool.name, Object.keys(tool.schema.shape), parsed.error.issues, given);
        recordRefusal(context, extra, tool.name, { providerId: namedId(given) }, textOf(result), given);
        return Promise.resolve(result);
      }
      const refused = (error: unknown): never => {
        throw recordedRefusal(error, context, extra, tool.name, given);
      };
      // Some tools refuse before their first await (a synchronous throw), others after.
      try {
        return tool.run(parsed.data as z.infer<Schema>, context, extra).catch(refused);
      } catch (error) {
        return refused(error);
      }
    },
  };
}

/**
 * The error a registry tool threw, to be thrown on: a RegistryRefusal is recorded first, as every
 * refusal is (see recordRefusal). For a registry tool's work outside defineTool's `call` (the
 * front end's quick route for registry_invoke).
 */
export function recordedRefusal(error: unknown, context: RegistryContext, extra: RegistryCallExtra, toolName: string, given: unknown): unknown {
  if (error instanceof RegistryRefusal) recordRefusal(context, extra, toolName, error.target, error.message, given);
  return error;
}

/**
 * A refused call leaves a trace like a refused provider-tool call (SecurityControls): a
 * ToolInvocationFailed (kind `rejected`, stage `refused`) for the audit trail, the log and the
 * metrics, with the arguments as given. Its provider is the id the arguments named, as given
 * (known or not), or none (empty, as for the registry tools' other refusals).
 */
function recordRefusal(context: RegistryContext, extra: RegistryCallExtra, toolName: string, target: RefusedTarget, message: string, given: unknown): void {
  const security = context.security;
  if (security === undefined) return;
  const caller = extra.caller ?? ANONYMOUS;
  const args = isRecord(given) ? given : { arguments: given };
  const subject = target.subject ?? toolName;
  if (target.hidden === true && target.providerId !== undefined) security.recordHiddenCall(caller, target.providerId, subject, args);
  else security.recordInvalidRegistryCall(caller, { providerId: target.providerId, subject }, message, args);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The provider (or group) id arguments name, when they name one as a string. */
function namedId(given: unknown): string | undefined {
  if (!isRecord(given)) return undefined;
  const id = given.provider ?? given.group;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === "text" ? first.text : "";
}

/**
 * Arguments a registry tool cannot take: an `isError` result naming each problem by its JSON
 * Pointer, as the hangar answers a provider tool's arguments that break its inputSchema
 * (docs/security.md) and as MCP asks for input validation errors (a tool execution error the
 * model can read and correct, not a protocol error). Nothing was done.
 */
function invalidArgumentsResult(toolName: string, known: readonly string[], issues: readonly SchemaIssue[], args: unknown): CallToolResult {
  const takes = known.length === 0 ? "it takes no arguments" : `its arguments: ${known.join(", ")}`;
  const violations: ArgumentViolation[] = schemaProblems(issues, args).map((problem) => ({
    path: pointerPath(problem.path),
    message: problem.unknownKey === true ? `is not an argument of ${toolName} (${takes})` : problem.text,
  }));
  const lines = violations.map((violation) => `- ${violation.path === "" ? "(arguments)" : violation.path}: ${violation.message}`);
  const result = failureResult("rejected", `invalid arguments for tool '${toolName}' — nothing was done. Fix these and call again:\n${lines.join("\n")}`);
  return { ...result, _meta: { ...result._meta, "mcp-hangar/violations": violations } };
}

export function jsonResult(data: Record<string, unknown>): CallToolResult {
  const safe = redactor.redactValue(data) as Record<string, unknown>;
  return { content: [{ type: "text", text: JSON.stringify(safe, null, 2) }], structuredContent: safe };
}

