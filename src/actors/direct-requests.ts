import { ErrorCode, McpError, type JSONRPCMessage, type Request } from "@modelcontextprotocol/sdk/types.js";

/**
 * Where direct requests are written: the provider transport's synchronous send (false when the
 * channel is closed).
 */
export interface DirectChannel {
  write(message: JSONRPCMessage): boolean;
}

/**
 * How a direct request ended. `error` is what the SDK's Protocol.request would have rejected
 * with, so a connection classifies both paths alike: an McpError with the provider's code for a
 * JSON-RPC error answer, RequestTimeout with `data.timeout` for our own deadline, ConnectionClosed
 * when the channel closed first, the signal's reason when the caller aborted, a plain Error when
 * the request could not be written.
 */
export type DirectAnswer = { result: Record<string, unknown> } | { error: unknown };

/** Ids of direct requests: strings, which the SDK's numeric ids (it reads ids with Number()) never equal. */
const ID_PREFIX = "hangar-";
/** The options of every request's abort listener (one object, not one per request). */
const ONCE = { once: true } as const;
/** setTimeout's longest delay; a later deadline is reached in steps (a longer delay fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

class PendingRequest<C> {
  constructor(
    readonly id: string,
    readonly context: C,
    readonly timeoutMs: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
    private readonly owner: DirectRequests<C>,
  ) {}

  /** The signal's abort listener (an object listener: no closure per request). */
  handleEvent(): void {
    this.owner.abort(this);
  }
}

/**
 * Requests a connection sends on the provider transport itself, outside the SDK's Protocol: the
 * hot path of every tool call. Protocol.request costs per call a promise, a spread of the
 * request, response and progress handler maps, a timer, a never-removed abort listener and a
 * result schema parse; here a call is one map entry, written synchronously, answered through one
 * callback, and the deadlines of all calls share one timer.
 *
 * The SDK's Client still owns the session (initialize, tools/list, ping, server→client requests):
 * it sees every message this table does not claim. Behaviour follows Protocol.request: a request
 * whose signal is already aborted is not sent; an abort or a passed deadline sends
 * notifications/cancelled to the provider; a late answer after either is not claimed (the
 * Protocol reports it as an unknown id, as it always did).
 */
export class DirectRequests<C> {
  private readonly pending = new Map<string, PendingRequest<C>>();
  private lastId = 0;
  /** The one deadline timer, armed for the earliest deadline it knows of (performance.now() ms). */
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Number.POSITIVE_INFINITY;

  constructor(
    private readonly channel: DirectChannel,
    private readonly onAnswer: (context: C, answer: DirectAnswer) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends `request` with a fresh id; `onAnswer` gets `context` exactly once. May answer
   * synchronously (signal already aborted, channel closed).
   */
  send(request: Request, timeoutMs: number, signal: AbortSignal | undefined, context: C): void {
    if (signal?.aborted === true) {
      this.onAnswer(context, { error: signal.reason });
      return;
    }
    const id = `${ID_PREFIX}${++this.lastId}`;
    if (!this.channel.write({ jsonrpc: "2.0", id, method: request.method, params: request.params })) {
      this.onAnswer(context, { error: new Error("Not connected") });
      return;
    }
    const deadline = performance.now() + timeoutMs;
    const entry = new PendingRequest(id, context, timeoutMs, deadline, signal, this);
    this.pending.set(id, entry);
    signal?.addEventListener("abort", entry, ONCE);
    if (deadline < this.timerDue) this.armTimer(deadline);
  }

  /**
   * Offered every message from the provider before the SDK sees it: true when it answered one of
   * our requests (and goes no further).
   */
  readonly claim = (message: JSONRPCMessage): boolean => {
    const id = (message as { id?: unknown }).id;
    if (typeof id !== "string" || "method" in message) return false;
    const entry = this.pending.get(id);
    if (entry === undefined) return false;
    if ("result" in message) {
      this.finish(entry, { result: message.result });
      return true;
    }
    if ("error" in message) {
      const error = message.error;
      this.finish(entry, { error: McpError.fromError(error.code, error.message, error.data) });
      return true;
    }
    return false;
  };

  /**
   * The channel closed (or the connection stops): each request still waiting is answered with
   * ConnectionClosed, as the Protocol does. A connection that has answered its calls itself
   * ignores these answers; they release what each request held (progress timers, listeners).
   */
  closeAll(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    const closed = new McpError(ErrorCode.ConnectionClosed, "Connection closed");
    for (const entry of entries) {
      entry.signal?.removeEventListener("abort", entry);
      this.onAnswer(entry.context, { error: closed });
    }
  }

  /** The request's signal aborted: tell the provider, answer with the reason. */
  abort(entry: PendingRequest<C>): void {
    if (this.pending.get(entry.id) !== entry) return;
    const reason: unknown = entry.signal?.reason;
    this.cancel(entry, reason instanceof McpError ? reason : new McpError(ErrorCode.RequestTimeout, String(reason)), reason);
  }

  private cancel(entry: PendingRequest<C>, error: McpError, reason: unknown): void {
    this.channel.write({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: entry.id, reason: String(reason) } });
    this.finish(entry, { error });
  }

  private finish(entry: PendingRequest<C>, answer: DirectAnswer): void {
    this.pending.delete(entry.id);
    entry.signal?.removeEventListener("abort", entry);
    // The timer stays armed: it finds nothing due when it fires, and re-arms for what is left.
    this.onAnswer(entry.context, answer);
  }

  private armTimer(deadline: number): void {
    clearTimeout(this.timer);
    this.timerDue = deadline;
    this.timer = setTimeout(this.onTimer, Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(deadline - performance.now()))));
    // A request in flight has the provider's pipes holding the loop; an idle timer must not.
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const due: PendingRequest<C>[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.pending.values()) {
      if (entry.deadline <= now) due.push(entry);
      else if (entry.deadline < next) next = entry.deadline;
    }
    // Armed before answering, so requests sent from inside an answer find the timer in place.
    if (next !== Number.POSITIVE_INFINITY) this.armTimer(next);
    for (const entry of due) {
      if (this.pending.get(entry.id) !== entry) continue;
      const error = new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: entry.timeoutMs });
      this.cancel(entry, error, error);
    }
  };
}
