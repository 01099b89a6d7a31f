import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type ClientCapabilities,
  type Notification,
  type Request,
  type Result,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolCall } from "../machines/call.js";
import type { CallOrigin, ClientSessionHandle } from "../shared/call-origin.js";

/** What a provider said about itself in its initialize answer. */
export interface ProviderInitInfo {
  capabilities: ServerCapabilities | undefined;
  instructions: string | undefined;
}

/**
 * What the front end offers the provider side (set up once, in cli/main.ts): which client
 * capabilities to advertise to a provider, and where a provider's notifications go.
 */
export interface ClientBridge {
  /** Client capabilities (sampling, elicitation, roots) the hangar advertises to a provider it starts. */
  advertisedCapabilities(): ClientCapabilities;
  /** A provider finished initialize: its capabilities and instructions. */
  providerInitialized(providerId: string, info: ProviderInitInfo): void;
  /**
   * A provider's notification other than progress (logging, resource updates, list changes),
   * with the origins of the provider's calls in flight when it arrived.
   */
  providerNotification(providerId: string, notification: Notification, inFlight: CallOrigin[]): void;
}

type ClientFeature = "sampling" | "elicitation" | "roots";

/** Client results are checked by the client that produced them and by the SDK on the provider's side: passed through untouched. */
const anyResult = z.custom<Result>((value) => typeof value === "object" && value !== null);

/**
 * Where a provider's request goes: the client whose call is in flight (related to that call), or
 * — with no call in flight — the most recent client that called this provider, as long as only
 * one principal ever did. Never a client of another principal.
 */
export type RequestTarget = { origin: CallOrigin } | { session: ClientSessionHandle } | { refused: string };

export function chooseTarget(
  inFlight: readonly CallOrigin[],
  lastSession: ClientSessionHandle | undefined,
  callerPrincipals: ReadonlySet<string | undefined>,
): RequestTarget {
  const latest = inFlight.at(-1);
  if (latest !== undefined) {
    const principals = new Set(inFlight.map((origin) => origin.session.principal));
    if (principals.size > 1) {
      return { refused: `calls of ${principals.size} different principals are in flight, and the request does not say which one caused it` };
    }
    // One principal: its most recent call. Over stdio JSON-RPC a provider's request does not name
    // the call that caused it; with one call in flight (the usual case) this is exact.
    return { origin: latest };
  }
  if (callerPrincipals.size > 1) {
    return { refused: "no call is in flight, and clients of more than one principal have called this provider" };
  }
  if (lastSession?.isOpen() === true) return { session: lastSession };
  return { refused: "no call is in flight and no client that called this provider is still connected" };
}

function supports(capabilities: ClientCapabilities | undefined, feature: ClientFeature): boolean {
  return capabilities?.[feature] !== undefined;
}

const FEATURE_NAMES: Record<ClientFeature, string> = { sampling: "sampling", elicitation: "elicitation", roots: "roots" };

/**
 * The server→client half of a provider connection: the provider's sampling, elicitation and
 * roots requests are answered by the client whose call caused them; its logging messages,
 * resource updates and list changes go to the bridge. Installed on the provider-side SDK Client
 * before it connects.
 */
export class ProviderRequests {
  private lastSession: ClientSessionHandle | undefined;
  private readonly callerPrincipals = new Set<string | undefined>();

  constructor(
    private readonly providerId: string,
    private readonly bridge: ClientBridge,
    private readonly inFlight: () => Iterable<ToolCall>,
  ) {}

  /** Registers the handlers; `advertised` are the capabilities the client declares to the provider. */
  install(client: Client, advertised: ClientCapabilities): void {
    if (advertised.sampling !== undefined) {
      client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => this.forward("sampling", request, extra.signal));
    }
    if (advertised.elicitation !== undefined) {
      client.setRequestHandler(ElicitRequestSchema, (request, extra) => this.forward("elicitation", request, extra.signal));
    }
    if (advertised.roots !== undefined) {
      client.setRequestHandler(ListRootsRequestSchema, (request, extra) => this.forward("roots", request, extra.signal));
    }
    for (const schema of [
      LoggingMessageNotificationSchema,
      ResourceUpdatedNotificationSchema,
      ResourceListChangedNotificationSchema,
      PromptListChangedNotificationSchema,
    ]) {
      client.setNotificationHandler(schema, this.onNotification);
    }
  }

  /** Remembers who called, for requests that arrive outside any call. Cheap: the call path runs it. */
  noteCall(call: ToolCall): void {
    const session = call.origin?.session;
    if (session === undefined) return;
    this.lastSession = session;
    this.callerPrincipals.add(session.principal);
  }

  initialized(info: ProviderInitInfo): void {
    this.bridge.providerInitialized(this.providerId, info);
  }

  private origins(): CallOrigin[] {
    const origins: CallOrigin[] = [];
    for (const call of this.inFlight()) if (call.origin !== undefined) origins.push(call.origin);
    return origins;
  }

  private async forward(feature: ClientFeature, request: Request, signal: AbortSignal): Promise<Result> {
    const name = FEATURE_NAMES[feature];
    const target = chooseTarget(this.origins(), this.lastSession, this.callerPrincipals);
    if ("refused" in target) {
      throw new McpError(ErrorCode.InvalidRequest, `mcp-hangar cannot route ${request.method} from provider "${this.providerId}": ${target.refused}`);
    }
    const session = "origin" in target ? target.origin.session : target.session;
    if (!supports(session.capabilities(), feature)) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `the client whose call caused this ${request.method} (session ${session.id}) does not support ${name}`,
      );
    }
    if ("origin" in target) {
      return target.origin.extra.sendRequest(request as Parameters<CallOrigin["extra"]["sendRequest"]>[0], anyResult, { signal });
    }
    return target.session.request(request, signal);
  }

  private readonly onNotification = (notification: Notification): void => {
    this.bridge.providerNotification(this.providerId, notification, this.origins());
  };
}
