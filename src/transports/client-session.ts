/* eslint-disable @typescript-eslint/no-deprecated -- the low-level Server is the front end's deliberate choice (see mcp-server.ts). */
import { randomUUID } from "node:crypto";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { ClientCapabilities, Notification, Request, Result } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ClientSessionHandle } from "../shared/call-origin.js";

/** A client's answer to a provider's request is forwarded as the client gave it. */
const anyResult = z.custom<Result>((value) => typeof value === "object" && value !== null);

/** One front-end MCP session (stdio, or one HTTP session) as providers' requests and notifications reach it. */
export class ClientSession implements ClientSessionHandle {
  readonly id = randomUUID().slice(0, 8);
  /** Learned from the first authenticated request (the HTTP front end authenticates each one). */
  principal: string | undefined;
  private open = true;

  constructor(private readonly server: Server) {}

  capabilities(): ClientCapabilities | undefined {
    return this.server.getClientCapabilities();
  }

  isOpen(): boolean {
    return this.open;
  }

  markClosed(): void {
    this.open = false;
  }

  request(request: Request, signal?: AbortSignal): Promise<Result> {
    return this.server.request(request, anyResult, { signal });
  }

  notify(notification: Notification): Promise<void> {
    return this.server.notification(notification);
  }
}
