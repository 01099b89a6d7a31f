import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { ANONYMOUS, type Caller } from "../security/admin-gate.js";

/**
 * Who the front end authenticated for this request (HTTP: `req.auth.clientId` and its roles in
 * `scopes`, set by the bearer-token check); anonymous over stdio or without authentication.
 */
export function callerOf(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): Caller {
  const clientId = extra.authInfo?.clientId;
  if (clientId === undefined || clientId === "") return ANONYMOUS;
  return { principal: clientId, roles: extra.authInfo?.scopes ?? [] };
}
