import { ErrorCode, McpError, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { ToolCall } from "../machines/call.js";
import type { Logger } from "../observability/log.js";

let lastToken = 0;

/**
 * The hangar's side of one tool call that asked for progress (call.onProgress). It owns the
 * progressToken sent to the provider, forwards the provider's notifications/progress to the
 * call in order, and keeps the call's timeout moving: each notification restarts it, while the
 * whole call stays under max_call_s (the SDK request's own timeout).
 *
 * Why not the SDK's onprogress / resetTimeoutOnProgress / maxTotalTimeout: the SDK hands
 * notifications to their handlers a microtask late but settles responses at once, so the last
 * notification before the answer (often "100 %") is dropped as "unknown token"; and its
 * maxTotalTimeout is only checked when a notification arrives, and then fails the request
 * without telling the provider. Here notifications are taken off the wire synchronously
 * (`deliver`, from the connection's transport tap), and both limits end the request through its
 * AbortSignal or the SDK timeout — which makes the SDK send notifications/cancelled.
 */
export class ProgressCall {
  readonly token = `hangar-progress-${++lastToken}`;
  /** How many notifications arrived. */
  notifications = 0;
  /** Set when no notification (or answer) came within the call timeout. */
  idleTimedOut = false;
  private readonly controller = new AbortController();
  private idleTimer: NodeJS.Timeout;

  constructor(
    private readonly call: ToolCall,
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {
    const outer = call.signal;
    if (outer?.aborted === true) this.controller.abort(outer.reason);
    else outer?.addEventListener("abort", this.onOuterAbort, { once: true });
    this.idleTimer = setTimeout(this.onIdle, timeoutMs);
  }

  /** For the SDK request: aborted when the caller cancels or the call goes idle. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The call's _meta with this call's progressToken (replacing any the client sent). */
  meta(): Record<string, unknown> {
    return { ...this.call.meta, progressToken: this.token };
  }

  /** A notifications/progress for this call's token. */
  deliver(params: Record<string, unknown>): void {
    if (this.controller.signal.aborted) return;
    this.notifications++;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(this.onIdle, this.timeoutMs);
    const progress = params.progress;
    if (typeof progress !== "number") return;
    const total = typeof params.total === "number" ? params.total : undefined;
    const message = typeof params.message === "string" ? params.message : undefined;
    try {
      this.call.onProgress?.({ progress, total, message });
    } catch (error) {
      this.log.error("a call's progress callback threw", { correlationId: this.call.correlationId, error });
    }
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    this.call.signal?.removeEventListener("abort", this.onOuterAbort);
  }

  private readonly onOuterAbort = (): void => {
    this.controller.abort(this.call.signal?.reason);
  };

  private readonly onIdle = (): void => {
    this.idleTimedOut = true;
    this.controller.abort(new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: this.timeoutMs }));
  };
}

/** The progressToken and params of a notifications/progress message, or undefined for any other message. */
export function progressNotification(message: JSONRPCMessage): { token: unknown; params: Record<string, unknown> } | undefined {
  if (!("method" in message) || message.method !== "notifications/progress" || "id" in message) return undefined;
  const params = message.params;
  if (params === undefined) return undefined;
  return { token: params.progressToken, params };
}
