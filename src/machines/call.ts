import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { CallOrigin } from "../shared/call-origin.js";
import type { RefusalReason } from "../shared/domain-events.js";
import type { FailureKind } from "../shared/failure-kind.js";
import type { CallDone } from "./connection-protocol.js";

/**
 * How one tool call ended, as the front end needs it:
 * - `result`: the provider's CallToolResult, passed through untouched (kind `ok`, or `tool_error`
 *   when the result has isError);
 * - `rpc_error`: the provider answered the request with a JSON-RPC error (forwarded as such);
 * - `failure`: the hangar could not get an answer (timeout, crash, start failure, …).
 */
export type CallOutcome =
  | { status: "result"; kind: "ok" | "tool_error"; result: CallToolResult }
  | { status: "rpc_error"; kind: "tool_error"; code: number; message: string; data?: unknown }
  | {
      status: "failure";
      kind: Exclude<FailureKind, "ok" | "tool_error">;
      message: string;
      stderrTail?: string[];
      /** Extra `_meta` for the client's error result (a group says which members it tried). */
      meta?: Record<string, unknown>;
    };

export type CallReply = (outcome: CallOutcome) => void;

/** A group member's own limits refuse a call routed to it: that member's answer, and why. */
export interface MemberRefusal {
  /** The member's JSON-RPC error (-32029, with `limit` and `retry_after_ms` in its data). */
  outcome: Extract<CallOutcome, { status: "rpc_error" }>;
  reason: RefusalReason;
  retryAfterMs: number;
}

/** Admits the member a group picked against that member's own limits (a token taken when it passes). */
export type MemberAdmission = (memberId: string) => MemberRefusal | undefined;

export interface CallProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** A tool call travelling from the front end through the supervisor to a provider connection. */
export interface ToolCall {
  tool: string;
  arguments: Record<string, unknown> | undefined;
  /** Correlates the call across logs, events and (later) traces. */
  correlationId: string;
  /** Overrides the provider's call_timeout_s. */
  timeoutMs?: number;
  /** Aborted when the client cancels; the connection cancels the provider request. */
  signal?: AbortSignal;
  /** Extra `_meta` the client sent (progress tokens and the like) — passed to the provider. */
  meta?: Record<string, unknown>;
  /** Who asked: the authenticated principal's name (HTTP front end), for logs and audit — never a metrics label. */
  principal?: string;
  /**
   * The provider's progress notifications for this call, in order. When set, the connection asks
   * the provider for progress, and each notification restarts the call's timeout (up to max_call_s).
   */
  onProgress?: (progress: CallProgress) => void;
  /**
   * Another request than tools/call (resources/read, prompts/get, completion/complete, …): the
   * connection sends this method and params instead, and the outcome's `result` is that method's
   * result, untouched. `tool` then names the method, for logs and events.
   */
  request?: ProviderRequest;
  /**
   * The client session whose request this is: a provider's sampling, elicitation and roots
   * requests during the call go back to it (see src/actors/provider-requests.ts).
   */
  origin?: CallOrigin;
  /**
   * Set by the front end for a call to a group whose members have rate limits: the group asks it
   * for the member it picked before sending the call, so the member's own limits apply (no I/O:
   * token-bucket bookkeeping). A refused member is skipped for the strategy's next pick; only
   * when every member in rotation is refused is the call (see allMembersRefused).
   */
  admitMember?: MemberAdmission;
  /** Called exactly once with the outcome. */
  reply: CallReply;
  /** Set only when tracing is on (see CallTrace). */
  trace?: CallTrace;
  /**
   * Set when the call went out through its provider's serving lane, not through a step of the
   * provider chart (see src/runtime/serving-lanes.ts): the connection settles it there first.
   */
  lane?: CallLane;
}

/**
 * The serving lane a call went out on, as the connection that settles the call sees it: the
 * connection hands it the call's CALL.DONE, the answer to the client (`answer`), and what it would
 * do without a lane (`toChart`: answer, then send the CALL.DONE to the provider actor). An answered
 * call (ok, tool_error) is counted and announced by the lane while it is open; anything else goes
 * `toChart`, its CALL.DONE marked with how the lane counted it.
 */
export interface CallLane {
  settle(done: CallDone, answer: () => void, toChart: () => void): void;
}

/**
 * How a call that went out on a serving lane is counted when its CALL.DONE reaches the chart:
 * `open` — the lane was still open and took it off its own count (the chart counts it in its
 * stats only); `closed` — the lane had closed, its calls in flight were folded into the chart's
 * `laneInFlight`, and this one leaves that count.
 */
export type LaneCount = "open" | "closed";

/**
 * The tracing side of one call, handed along with it so every connection kind can take part
 * without knowing about OpenTelemetry. A connection calls `dispatch` each time it sends the call
 * to a provider and merges what it returns (the W3C `traceparent`/`tracestate` of that attempt)
 * into the request's `_meta`, so a traced provider joins the caller's trace.
 */
export interface CallTrace {
  dispatch(providerId: string): Record<string, string>;
  /**
   * A group is sending the call to its member `providerId`: from now on the member's start (a cold
   * start, the wait in its queue) belongs to this call's trace, as a direct call's does.
   */
  route(providerId: string): void;
}

/** A request of any MCP method, forwarded to a provider as it is. */
export interface ProviderRequest {
  method: string;
  params?: Record<string, unknown>;
}

export function failure(
  kind: Exclude<FailureKind, "ok" | "tool_error">,
  message: string,
  stderrTail?: string[],
): CallOutcome {
  return stderrTail === undefined ? { status: "failure", kind, message } : { status: "failure", kind, message, stderrTail };
}

/** The `_meta` to send with this attempt of the call: `meta` plus its trace context when traced. */
export function withTraceContext(
  meta: Record<string, unknown> | undefined,
  call: ToolCall,
  providerId: string,
): Record<string, unknown> | undefined {
  return call.trace === undefined ? meta : { ...meta, ...call.trace.dispatch(providerId) };
}
