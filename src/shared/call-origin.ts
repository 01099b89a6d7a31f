import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ClientCapabilities, Notification, Request, Result, ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

/**
 * One connected client as the provider side sees it: enough to send it a request or a
 * notification and to know what it can do. The front end creates one per MCP session (stdio:
 * one; HTTP: one per streamable or SSE session).
 */
export interface ClientSessionHandle {
  /** Stable for the session's life; used in messages and logs, never as a secret. */
  readonly id: string;
  /** The authenticated principal (HTTP with tokens); undefined over stdio or without authentication. */
  readonly principal: string | undefined;
  /** What the client declared at initialize; undefined before it did. */
  capabilities(): ClientCapabilities | undefined;
  isOpen(): boolean;
  /** A request to the client outside any call of its own (a provider asking out of the blue). */
  request(request: Request, signal?: AbortSignal): Promise<Result>;
  /** A notification to the client outside any call of its own. */
  notify(notification: Notification): Promise<void>;
}

/**
 * Where a call came from: its client session and the SDK's handle on the client's request, so
 * that what a provider sends during the call is related to it (over streamable HTTP it travels on
 * the call's own response stream).
 */
export interface CallOrigin {
  session: ClientSessionHandle;
  extra: Pick<RequestHandlerExtra<ServerRequest, ServerNotification>, "sendRequest" | "sendNotification">;
}
