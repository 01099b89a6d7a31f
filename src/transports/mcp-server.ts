import { randomUUID } from "node:crypto";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ClientCapabilitiesSchema,
  type CallToolRequest,
  type ServerNotification,
  type ServerRequest,
  ErrorCode,
  ListToolsRequestSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { ExposeMode } from "../config/types.js";
import type { CallOutcome, CallProgress } from "../machines/call.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import { ANONYMOUS, type Caller } from "../security/admin-gate.js";
import { SecurityControls } from "../security/security-controls.js";
import { VERSION } from "../version.js";
import { ClientSession } from "./client-session.js";
import { outcomeToResult } from "./outcome-result.js";
import { registerPassthroughHandlers } from "./passthrough-handlers.js";
import { callerOf } from "./request-caller.js";
import { combinedInstructions, passthroughOf } from "./passthrough.js";
import { pendingToolList } from "./pending-tool-list.js";
import { quickInvoke } from "./checked-invoke.js";
import { plainInvokeArgs } from "./invoke-args.js";
import type { RegistryCallExtra } from "./registry-tool-kit.js";
import { callRegistryTool, isRegistryTool } from "./registry-tools.js";
import type { ToolCatalogue } from "./tool-catalogue.js";
import { RpcError } from "./rpc-error.js";
import { HangarServer, type QuickToolCall, type RoutedToolCallExtra, type ToolCallExtra } from "./tool-call-router.js";
import { isRefusal, toolCallAdmission } from "./tool-call-admission.js";
import { toolListsOf } from "./tool-lists.js";
import { unknownToolMessage } from "./unknown-tool.js";

export const SERVER_INFO = { name: "mcp-hangar", version: VERSION } as const;

/**
 * One MCP server session in front of the hangar, independent of the transport (stdio now, HTTP
 * sessions later share the same runtime and catalogue). Low-level `Server`, so downstream JSON
 * Schemas and results pass through untouched.
 */
export function createHangarServer(
  runtime: HangarRuntime,
  catalogue: ToolCatalogue,
  expose: ExposeMode,
  // One per front end, shared by its sessions (rate-limit buckets); stdio's own by default.
  security: SecurityControls = stdioSecurity(runtime),
  // Who opens the session (HTTP: its token's principal; one per session): the instructions name only the providers it reaches.
  caller: Caller = ANONYMOUS,
): HangarServer {
  const passthrough = passthroughOf(runtime);
  const server = new HangarServer(SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      completions: {},
      logging: {},
    },
    instructions: combinedInstructions(runtime, passthrough.hub, expose, security.reachOf(caller)),
  });
  // This session as providers' requests and notifications reach it (see docs/passthrough.md).
  const session = new ClientSession(server);
  passthrough.hub.add(session);
  server.oninitialized = () => {
    passthrough.hub.clientInitialized(server.getClientCapabilities());
  };
  // A client that writes initialize, notifications/initialized and a call in one go: the call
  // starts its provider before the SDK has taken the client's capabilities, so they are offered
  // as the initialize request is read (checked by the SDK's own schema first).
  server.onInitializeRead = (params) => {
    const capabilities = ClientCapabilitiesSchema.safeParse(params?.capabilities);
    if (capabilities.success) passthrough.hub.clientInitialized(capabilities.data);
  };
  registerPassthroughHandlers(server, runtime, passthrough, session, security);
  const showRegistry = expose !== "tools";
  const showProviderTools = expose !== "registry";

  // Built once per catalogue version and view, shared by every session of this front end (tool-lists.ts).
  const toolLists = toolListsOf(catalogue, security, expose);
  server.setRequestHandler(ListToolsRequestSchema, (_request, extra) => toolLists.answer(callerOf(extra)));

  const context = { runtime, catalogue, security };
  // stdio has no session id of its own; one per server session lets traces group a client's calls.
  const serverSessionId = randomUUID();
  // One admission for the quick path and the handler: a rule added there holds on both.
  const admitFlatNameCall = toolCallAdmission({ catalogue, security, session, serverSessionId, providerTools: showProviderTools });
  // What a registry tool is told of its call: one shape for the handler and the quick route.
  const registryExtra = (extra: ToolCallExtra, caller: Caller, onProgress: RegistryCallExtra["onProgress"], answerFirst: RegistryCallExtra["answerFirst"]): RegistryCallExtra => ({
    signal: extra.signal,
    meta: extra._meta,
    principal: caller.principal,
    caller,
    onProgress,
    origin: { session, extra },
    sessionId: extra.sessionId ?? serverSessionId,
    headers: extra.requestInfo?.headers,
    answerFirst,
  });
  const handleCall = async (request: CallToolRequest, extra: ToolCallExtra): Promise<CallToolResult> => {
    const { name, arguments: args, _meta: meta } = request.params;
    const caller = callerOf(extra);
    const progress = meta?.progressToken === undefined ? undefined : new ProgressForwarder(meta.progressToken, extra);
    const onProgress = progress?.forward;
    // Without progress to wait for, the answer leaves as soon as the provider's does (see RoutedToolCallExtra).
    const answerFirst = progress === undefined ? (extra as RoutedToolCallExtra).answerFirst : undefined;
    let admitted = admitFlatNameCall(request.params, extra, caller, true);
    if (admitted === undefined && showProviderTools && !isRegistryTool(name)) {
      // A name whose provider's own list is on its way waits for it, then is admitted or refused (pending-tool-list.ts).
      const held = pendingToolList(runtime, catalogue, name, (id) => security.providerVisible(caller, id), extra.signal);
      if (held !== false && (await held)) admitted = admitFlatNameCall(request.params, extra, caller, true);
    }
    if (admitted !== undefined) {
      if (isRefusal(admitted)) return admitted;
      admitted.onProgress = onProgress;
      admitted.onOutcome = answerFirst && ((outcome: CallOutcome) => { answerFirst(() => outcomeToResult(outcome)); });
      const outcome = await runtime.invoke(admitted.providerId, admitted.tool, args, admitted);
      if (progress !== undefined) await progress.settled();
      return outcomeToResult(outcome);
    }
    if (showRegistry && isRegistryTool(name)) {
      security.admitRegistryCall(caller, name);
      const result = await callRegistryTool(name, args, context, registryExtra(extra, caller, onProgress, answerFirst));
      if (progress !== undefined) await progress.settled();
      return result;
    }
    throw new RpcError(ErrorCode.InvalidParams, unknownToolMessage(name, { runtime, catalogue, security, caller, registry: showRegistry, providerTools: showProviderTools }));
  };
  // The common call — a provider tool the caller reaches, no progress asked for — without the
  // handler's promises: the outcome is answered first and nothing awaits it (see QuickToolCall).
  // Admitted as handleCall admits it; anything but an admitted or refused provider tool is left to handleCall.
  // So is a registry_invoke whose arguments need no words from the tool kit (quickInvoke).
  const quickCall: QuickToolCall = (request, extra, settled) => {
    if (request.params._meta?.progressToken !== undefined) return false;
    const caller = callerOf(extra);
    const admitted = admitFlatNameCall(request.params, extra, caller, false);
    const answerFirst = extra.answerFirst;
    if (admitted === undefined) {
      const args = showRegistry && request.params.name === "registry_invoke" ? plainInvokeArgs(request.params.arguments) : undefined;
      if (args === undefined) return false;
      security.admitRegistryCall(caller, "registry_invoke");
      quickInvoke(args, context, registryExtra(extra, caller, undefined, answerFirst), (produce) => {
        answerFirst(produce);
        settled();
      });
      return true;
    }
    if (isRefusal(admitted)) {
      answerFirst(() => admitted);
      settled();
      return true;
    }
    runtime.dispatch(admitted.providerId, admitted.tool, request.params.arguments, admitted, (outcome) => {
      answerFirst(() => outcomeToResult(outcome));
      settled();
    });
    return true;
  };
  server.handleToolCalls(handleCall, quickCall);

  const stopWatching = catalogue.onChanged(() => {
    if (showProviderTools) server.sendToolListChanged().catch(() => undefined);
  });
  const previousOnClose = server.onclose;
  server.onclose = () => {
    stopWatching();
    passthrough.hub.remove(session);
    previousOnClose?.();
  };
  return server;
}

/** The controls of a stdio front end (one session, so one per server is one per front end). */
function stdioSecurity(runtime: HangarRuntime): SecurityControls {
  return new SecurityControls(runtime.config, { frontEnd: "stdio", specOf: (id) => runtime.spec(id), membersOf: (id) => runtime.groupMemberIds(id), events: runtime.events });
}

/**
 * How long a call that forwarded progress holds its answer after the last notification went out.
 * The SDK's client hands a notification to its handler a microtask late but settles a response
 * at once, so a progress notification read together with the answer is dropped ("unknown
 * token"); a few milliseconds apart, they arrive in separate reads and both count.
 */
const PROGRESS_SETTLE_MS = 10;

/**
 * When the client asked for progress (`_meta.progressToken`), the provider's progress for this
 * call goes back to this client only: `extra.sendNotification` sends on the request's own
 * session (and, over streamable HTTP, on the request's own response stream).
 */
class ProgressForwarder {
  private lastSent: Promise<void> | undefined;
  private lastSentAt = 0;

  constructor(
    private readonly progressToken: string | number,
    private readonly extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  ) {}

  readonly forward = (progress: CallProgress): void => {
    this.lastSent = this.extra.sendNotification({ method: "notifications/progress", params: { progressToken: this.progressToken, ...progress } }).then(
      () => {
        this.lastSentAt = performance.now();
      },
      () => undefined, // the client went away; the call itself still ends normally
    );
  };

  /** Resolves once the last notification is out and PROGRESS_SETTLE_MS have passed since. */
  async settled(): Promise<void> {
    if (this.lastSent === undefined) return;
    await this.lastSent;
    const wait = PROGRESS_SETTLE_MS - (performance.now() - this.lastSentAt);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

