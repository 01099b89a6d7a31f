/* eslint-disable @typescript-eslint/no-deprecated -- the low-level Server is the front end's deliberate choice (see mcp-server.ts). */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { getMethodLiteral } from "@modelcontextprotocol/sdk/server/zod-json-schema-compat.js";
import { safeParse, type AnyObjectSchema, type SchemaOutput } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import { Protocol, type RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  ErrorCode,
  JSONRPCRequestSchema,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
  type Notification,
  type Request,
  type Result,
} from "@modelcontextprotocol/sdk/types.js";
import * as z from "zod/v4";
import { isPlainRequestOrNotification, isPlainToolCallParams } from "../actors/jsonrpc-fast-path.js";
import { CallSignal } from "../shared/call-signal.js";
import { paramsProblem } from "./request-params.js";
import type { SchemaIssue } from "./schema-issues.js";
import { RpcError } from "./rpc-error.js";
import { toolCallParamsProblem } from "./tool-call-params.js";
import { byPositionParams, invalidRequestMessage } from "./invalid-request.js";

export type ToolCallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * What the short route adds to `extra`: `answerFirst` sends the call's answer at once, from
 * wherever the handler learns it (inside the provider leg, before the provider actor's
 * bookkeeping of the finished call), instead of when the handler's promise settles a few
 * microtasks and that bookkeeping later. `produce` returns the result or throws the error to
 * answer with; once used, the handler's own promise answers nothing. The SDK's path has no
 * `answerFirst`: handlers must treat it as optional.
 */
export interface RoutedToolCallExtra extends ToolCallExtra {
  answerFirst?: (produce: () => CallToolResult) => void;
}
export type ToolCallHandler = (request: CallToolRequest, extra: ToolCallExtra) => Promise<CallToolResult>;

/**
 * The short route's way without promises for the common call: it returns true when it took the
 * call, and then answers it exactly once through `extra.answerFirst` and calls `settled` after;
 * false leaves the call to the ToolCallHandler (nothing done yet). Throwing answers the error, as
 * a handler's rejection does. A call that needs to await something (progress to forward, a
 * registry tool) is left to the handler.
 */
export type QuickToolCall = (request: CallToolRequest, extra: RoutedToolCallExtra & { answerFirst: NonNullable<RoutedToolCallExtra["answerFirst"]> }, settled: () => void) => boolean;

/**
 * The front end's MCP server: the SDK's low-level Server (the high-level McpServer re-describes
 * tools with zod, and downstream JSON Schemas must pass through untouched), with `tools/call` — nearly every
 * message of a busy session — answered on a short route of its own (ToolCallRouter) instead of
 * the SDK's Protocol, which checks each incoming message against four zod schemas to tell its
 * kind, re-parses the request with CallToolRequestSchema and chains three promises per request.
 * A tools/call whose params have the wrong shape is answered -32602 Invalid params by the router
 * (the SDK would answer -32603 with zod's issue list). Everything else (initialize, lists,
 * passthrough, other odd shapes of tools/call) still takes the SDK's path, and so does a tools/call when no route was set.
 * A request of any other method whose params break the SDK's schema for it is answered -32602 too
 * (see setRequestHandler).
 */
export class HangarServer extends Server {
  private toolCalls: ToolCallHandler | undefined;
  private quickCalls: QuickToolCall | undefined;
  /**
   * Runs as an `initialize` request is read, before the SDK handles it: the SDK takes the
   * client's capabilities two microtasks later, after a notifications/initialized and a
   * tools/call read in the same chunk have run their handlers (see mcp-server.ts).
   */
  onInitializeRead?: (params: JSONRPCRequest["params"]) => void;

  /**
   * Every handler but tools/call's (initialize, ping, logging/setLevel, the lists, resources,
   * prompts, completions) is registered as the SDK registers it, except for who judges the
   * params: the SDK's Protocol parses the request with the method's schema and, when that fails,
   * answers -32603 Internal error with zod's issue list as its message. Here the Protocol is given
   * a schema that only checks the method (it keeps every field), and the method's own schema
   * parses the request in the handler: a failure answers -32602 Invalid params in words
   * (request-params.ts), a success hands the handler the same parsed request as before. The
   * Server's and the Protocol's constructors register through here too (virtual dispatch).
   */
  override setRequestHandler<T extends AnyObjectSchema>(
    requestSchema: T,
    handler: (request: SchemaOutput<T>, extra: RequestHandlerExtra<ServerRequest | Request, ServerNotification | Notification>) => ServerResult | Result | Promise<ServerResult | Result>,
  ): void {
    const method = getMethodLiteral(requestSchema);
    if (method === "tools/call") {
      super.setRequestHandler(requestSchema, handler);
      return;
    }
    const anyParams = z.looseObject({ method: z.literal(method) }) as unknown as T;
    super.setRequestHandler(anyParams, (request, extra) => {
      const parsed = safeParse(requestSchema, request);
      if (!parsed.success) throw new RpcError(ErrorCode.InvalidParams, paramsProblem(method, (parsed.error as { issues: SchemaIssue[] }).issues, request));
      return handler(parsed.data, extra);
    });
  }

  /** Sets the tools/call handler: on the SDK's path (for what the short route leaves to it) and on the short route. */
  handleToolCalls(handler: ToolCallHandler, quick?: QuickToolCall): void {
    this.quickCalls = quick;
    // Called with `this` as the Protocol on purpose: Server's own tools/call wrapper re-validates
    // (and copies) every result — per-call work a passthrough must not pay, and a copy that could
    // drop fields the provider sent.
    Protocol.prototype.setRequestHandler.call(this, CallToolRequestSchema, handler);
    this.toolCalls = handler;
  }

  override connect(transport: Transport): Promise<void> {
    const onInitializeRead = (params: JSONRPCRequest["params"]): void => {
      this.onInitializeRead?.(params);
    };
    return super.connect(this.toolCalls === undefined ? transport : new ToolCallRouter(transport, this, this.toolCalls, onInitializeRead, this.quickCalls));
  }
}

/**
 * A Transport in front of another, as the Server sees it: a `tools/call` request the SDK's
 * CallToolRequestSchema would take as it is (jsonrpc-fast-path.ts) goes straight to the handler,
 * and its answer straight to the transport; every other message is passed on to the Server.
 *
 * The short route keeps the SDK's behaviour for a request: a cancellation signal per call (CallSignal), aborted
 * by `notifications/cancelled` for its id and when the transport closes; no answer once aborted;
 * the id echoed as it came; an error answered with its own integer `code` (else -32603
 * InternalError), its message and its data; progress and requests to the client sent as the
 * SDK's `extra` sends them (related to the request, so over streamable HTTP they travel on the
 * call's own response stream).
 */
export class ToolCallRouter implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

  /** The calls on the short route still running, by request id (a reused id takes the entry over, as in the SDK). */
  private readonly inFlight = new Map<RequestId, CallSignal>();

  constructor(
    private readonly inner: Transport,
    private readonly server: Server,
    private readonly handler: ToolCallHandler,
    private readonly onInitializeRead?: (params: JSONRPCRequest["params"]) => void,
    private readonly quick?: QuickToolCall,
  ) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  start(): Promise<void> {
    this.inner.onmessage = this.route;
    this.inner.onerror = (error) => {
      this.onerror?.(error);
    };
    this.inner.onclose = () => {
      for (const signal of this.inFlight.values()) signal.abort();
      this.inFlight.clear();
      this.onclose?.();
    };
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private readonly route = (message: JSONRPCMessage, extra?: MessageExtraInfo): void => {
    if ("method" in message) {
      if (message.method === "tools/call") {
        if ("id" in message) {
          if (isPlainRequestOrNotification(message)) {
            if (isPlainToolCallParams(message.params)) {
              this.call(message, extra);
              return;
            }
          } else if (this.refuseMalformedRequest(message)) return;
          if (this.refuseInvalidParams(message)) return;
        }
      } else if ("id" in message && !isPlainRequestOrNotification(message) && this.refuseMalformedRequest(message)) {
        // Left to the SDK's Protocol, such a request was never answered (it is no request to its schema).
        return;
      } else if (message.method === "notifications/cancelled" && !("id" in message)) {
        this.cancel(message);
      } else if (message.method === "initialize" && "id" in message) {
        this.onInitializeRead?.(message.params);
      }
    }
    this.onmessage?.(message, extra);
  };

  /** A tools/call whose params have the wrong shape is answered -32602 Invalid params here, in words (see tool-call-params.ts). */
  private refuseInvalidParams(request: JSONRPCRequest): boolean {
    const problem = byPositionParams(request)?.message ?? toolCallParamsProblem(request);
    if (problem === undefined) return false;
    this.answerInvalidParams(request.id, problem);
    return true;
  }

  /**
   * A request (with an id it can be answered by) that is no JSON-RPC request to the SDK's schema,
   * answered here as the stdio transport answers such a line: its params an array → -32602 Invalid
   * params (JSON-RPC's by-position params, which MCP never takes); anything else — a member no
   * request has, params null, a progressToken of the wrong type — → -32600 Invalid Request saying
   * why (invalid-request.ts). stdio's transport never hands one on; an HTTP transport does, and the
   * SDK's Protocol, finding no request in it, never answered it: the POST hung. Asked only for a
   * message the fast check does not take, so never on the hot path.
   */
  private refuseMalformedRequest(message: JSONRPCMessage): boolean {
    const byPosition = byPositionParams(message);
    if (byPosition !== undefined) {
      this.answerError(byPosition.id, ErrorCode.InvalidParams, byPosition.message);
      return true;
    }
    const id = (message as { id?: unknown }).id;
    if (!(typeof id === "string" || Number.isSafeInteger(id)) || JSONRPCRequestSchema.safeParse(message).success) return false;
    this.answerError(id as RequestId, ErrorCode.InvalidRequest, invalidRequestMessage(message));
    return true;
  }

  private answerInvalidParams(id: RequestId, message: string): void {
    this.answerError(id, ErrorCode.InvalidParams, message);
  }

  private answerError(id: RequestId, code: number, message: string): void {
    const answer: JSONRPCErrorResponse = { jsonrpc: "2.0", id, error: { code, message } };
    this.inner.send(answer).catch(this.reportSendFailure);
  }

  private call(request: JSONRPCRequest, info: MessageExtraInfo | undefined): void {
    const id = request.id;
    const signal = new CallSignal();
    this.inFlight.set(id, signal);
    const server = this.server;
    let answered = false;
    const extra: Parameters<QuickToolCall>[1] = {
      signal,
      sessionId: this.inner.sessionId,
      _meta: request.params?._meta,
      sendNotification: async (notification) => {
        if (signal.aborted) return;
        await server.notification(notification, { relatedRequestId: id });
      },
      sendRequest: async (sent, resultSchema, options) => {
        if (signal.aborted) throw new McpError(ErrorCode.ConnectionClosed, "Request was cancelled");
        return await server.request(sent, resultSchema, { ...options, relatedRequestId: id });
      },
      authInfo: info?.authInfo,
      requestId: id,
      requestInfo: info?.requestInfo,
      closeSSEStream: info?.closeSSEStream,
      closeStandaloneSSEStream: info?.closeStandaloneSSEStream,
      answerFirst: (produce) => {
        if (answered) return;
        answered = true;
        if (signal.aborted) return;
        let answer: JSONRPCMessage;
        try {
          answer = { result: produce(), jsonrpc: "2.0", id };
        } catch (error) {
          answer = errorAnswer(id, error);
        }
        this.inner.send(answer).catch(this.reportSendFailure);
      },
    };
    // The handler runs a microtask later, as the SDK runs its own: a notification read just before
    // this call (notifications/initialized, in the same chunk) has its handler queued already and
    // must run first — the call may start a provider, which is offered what the clients initialized
    // so far can do. The call is registered now, so a cancellation read right after it still finds it.
    // One reaction on the handler's promise, not a chain of four (≈ 0.7 KB of promises per call).
    queueMicrotask(() => {
      const failed = (error: unknown): void => {
        this.finish(id, signal, answered ? undefined : errorAnswer(id, error));
      };
      try {
        // The common call takes no promise at all: answered first, then out of the table.
        if (this.quick?.(request as unknown as CallToolRequest, extra, () => { this.finish(id, signal, undefined); }) === true) return;
        this.handler(request as unknown as CallToolRequest, extra).then((result) => {
          this.finish(id, signal, answered ? undefined : { result, jsonrpc: "2.0", id });
        }, failed);
      } catch (error) {
        failed(error);
      }
    });
  }

  /** The handler settled: the call leaves the table, and its answer goes out unless it went first or the call was cancelled. */
  private finish(id: RequestId, signal: CallSignal, answer: JSONRPCMessage | undefined): void {
    if (this.inFlight.get(id) === signal) this.inFlight.delete(id);
    if (answer === undefined || signal.aborted) return;
    this.inner.send(answer).catch(this.reportSendFailure);
  }

  private readonly reportSendFailure = (error: unknown): void => {
    this.onerror?.(new Error(`Failed to send response: ${String(error)}`));
  };

  /** A cancellation for a call on the short route aborts it; the Server sees the notification too (its own calls). */
  private cancel(message: JSONRPCMessage): void {
    const parsed = CancelledNotificationSchema.safeParse(message);
    if (!parsed.success) return;
    const { requestId, reason } = parsed.data.params;
    if (requestId === undefined) return;
    this.inFlight.get(requestId)?.abort(reason);
  }
}

/** The SDK's error answer for a thrown error: its integer code (else InternalError), message and data. */
function errorAnswer(id: RequestId, error: unknown): JSONRPCErrorResponse {
  const fields = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; message?: unknown; data?: unknown };
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: Number.isSafeInteger(fields.code) ? (fields.code as number) : ErrorCode.InternalError,
      message: typeof fields.message === "string" ? fields.message : "Internal error",
      ...(fields.data === undefined ? {} : { data: fields.data }),
    },
  };
}
