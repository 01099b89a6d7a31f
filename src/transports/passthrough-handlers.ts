/* eslint-disable @typescript-eslint/no-deprecated -- the low-level Server is the front end's deliberate choice (see mcp-server.ts). */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CompleteRequestSchema,
  EmptyResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { SecurityControls } from "../security/security-controls.js";
import type { ClientSession } from "./client-session.js";
import type { Passthrough } from "./passthrough.js";
import { admittedRequest, providersOffering, requestProvider, type RequestContext } from "./provider-fanout.js";
import { callerOf } from "./request-caller.js";
import { RpcError } from "./rpc-error.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A response with no fields ({}), typed as the SDK's result. */
const EMPTY = EmptyResultSchema.parse({});

const PROVIDER_META = "mcp-hangar/provider";

/** The provider an aggregated list entry came from (the catalogues tag each entry). */
function providerOf(item: { _meta?: Record<string, unknown> }): string {
  return String(item._meta?.[PROVIDER_META]);
}

/**
 * Resources, prompts, completions and logging for one front-end session: each request becomes a
 * message to the provider that serves it (started lazily, like a tool call), carrying the
 * session as its origin so the provider's requests during it come back here. A request addressed
 * to one provider is admitted by the security controls first (admittedRequest); lists leave out
 * what the caller may not reach.
 */
export function registerPassthroughHandlers(
  server: Server,
  runtime: HangarRuntime,
  passthrough: Passthrough,
  session: ClientSession,
  security: SecurityControls,
): void {
  const { hub, resources, prompts } = passthrough;
  const admissionOf = (extra: Extra) => ({ security, caller: callerOf(extra) });
  const contextOf = (extra: Extra): RequestContext => {
    const principal = extra.authInfo?.clientId;
    if (principal !== undefined && principal !== "") session.principal = principal;
    const reach = security.reachOf(callerOf(extra));
    return { signal: extra.signal, principal: session.principal, origin: { session, extra }, ...(reach === undefined ? {} : { reaches: reach }) };
  };
  const resourceProvider = async (uri: string, context: RequestContext): Promise<string> => {
    const providerId = await resources.providerFor(uri, context);
    if (providerId === undefined) throw new RpcError(ErrorCode.InvalidParams, `unknown resource '${uri}': no provider lists it or has a template for it`);
    return providerId;
  };

  // Lists ask only the providers the caller reaches (contextOf sets `reaches`): a denied provider stays cold.
  server.setRequestHandler(ListResourcesRequestSchema, async (_request, extra) => {
    const listed = await resources.list(contextOf(extra));
    return { resources: listed.filter((item) => security.resourceVisible(providerOf(item), item.uri)) };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_request, extra) => {
    return { resourceTemplates: await resources.listTemplates(contextOf(extra)) };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    const providerId = await resourceProvider(request.params.uri, context);
    const target = { providerId, method: "resources/read", uri: request.params.uri };
    return admittedRequest(runtime, admissionOf(extra), target, request.params, context);
  });
  server.setRequestHandler(SubscribeRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    const providerId = await resourceProvider(request.params.uri, context);
    const target = { providerId, method: "resources/subscribe", uri: request.params.uri };
    // Admitted per client, though the provider hears one subscribe per URI however many clients subscribe.
    security.admitRequest(callerOf(extra), target);
    if (hub.subscribe(providerId, request.params.uri, session)) {
      try {
        await requestProvider(runtime, providerId, "resources/subscribe", request.params, context);
      } catch (error) {
        hub.unsubscribe(providerId, request.params.uri, session);
        throw error;
      }
    }
    return EMPTY;
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    const providerId = await resourceProvider(request.params.uri, context);
    if (hub.unsubscribe(providerId, request.params.uri, session)) {
      await requestProvider(runtime, providerId, "resources/unsubscribe", request.params, context);
    }
    return EMPTY;
  });

  server.setRequestHandler(ListPromptsRequestSchema, async (_request, extra) => {
    const listed = await prompts.list(contextOf(extra));
    return { prompts: listed.filter((item) => security.promptVisible(providerOf(item), String(item._meta?.["mcp-hangar/prompt"]))) };
  });
  server.setRequestHandler(GetPromptRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    const entry = await prompts.resolve(request.params.name, context);
    if (entry === undefined) throw new RpcError(ErrorCode.InvalidParams, `unknown prompt '${request.params.name}'`);
    const target = { providerId: entry.providerId, method: "prompts/get", prompt: entry.name };
    return admittedRequest(runtime, admissionOf(extra), target, { ...request.params, name: entry.name }, context);
  });

  server.setRequestHandler(CompleteRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    const { ref } = request.params;
    if (ref.type === "ref/prompt") {
      const entry = await prompts.resolve(ref.name, context);
      if (entry === undefined) throw new RpcError(ErrorCode.InvalidParams, `unknown prompt '${ref.name}'`);
      const params = { ...request.params, ref: { ...ref, name: entry.name } };
      const target = { providerId: entry.providerId, method: "completion/complete", prompt: entry.name };
      return admittedRequest(runtime, admissionOf(extra), target, params, context);
    }
    const providerId = await resourceProvider(ref.uri, context);
    const target = { providerId, method: "completion/complete", uri: ref.uri };
    return admittedRequest(runtime, admissionOf(extra), target, request.params, context);
  });

  server.setRequestHandler(SetLevelRequestSchema, async (request, extra) => {
    const context = contextOf(extra);
    hub.listenToLogs(session, context.reaches);
    // Forwarded to the providers that run now, log, and the caller reaches; starting the others just for this would defeat lazy start.
    const running = providersOffering(runtime, hub, "logging", context).filter((id) => {
      const state = runtime.view(id)?.state;
      return hub.info(id) !== undefined && (state === "READY" || state === "DEGRADED");
    });
    await Promise.all(
      running.map((id) =>
        requestProvider(runtime, id, "logging/setLevel", request.params, context).catch(() => undefined),
      ),
    );
    return EMPTY;
  });
}
