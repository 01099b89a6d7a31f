import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  EmptyResultSchema,
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type JSONRPCMessage,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { fromCallback } from "xstate";
import type { RemoteProviderSpec, RemoteTransportKind } from "../config/types.js";
import { failure, withTraceContext, type CallOutcome, type ToolCall } from "../machines/call.js";
import type { ConnectionCallback, ConnectionEvent, ConnectionInput, ProbeResult } from "../machines/connection-protocol.js";
import { log as hangarLog, type Logger } from "../observability/log.js";
import type { LineRing } from "../shared/line-ring.js";
import { redactor } from "../shared/redaction.js";
import { isRetrySafe } from "../shared/retry-safety.js";
import { newProviderClient } from "./provider-client.js";
import { positiveOr, replySafely, seconds, settleCall, settleProbe, type PendingProbe } from "./call-replies.js";
import { ConnectionOutbox } from "./connection-outbox.js";
import { listAllTools } from "./list-tools.js";
import { errorText, isOwnTimeout, isProviderRpcError, providerMessage } from "./mcp-errors.js";
import { anyResult, passthroughResult } from "./mcp-results.js";
import { ProgressCall, progressNotification } from "./progress-call.js";
import { ProviderRequests, type ClientBridge } from "./provider-requests.js";
import { callRequest } from "./call-request.js";
import {
  createRemoteTransport,
  isSessionLost,
  isUnreachable,
  suggestsLegacySse,
  transportKinds,
  transportProtocolVersion,
  type RemoteTransport,
} from "./remote-transport.js";
import { trackTeardown } from "./teardown-registry.js";

/** max_call_s when the spec has none (a config from before the field existed). */
const DEFAULT_MAX_CALL_S = 600;
/** The DELETE that ends a session on stop gets this long (then the session is dropped anyway). */
const CLOSE_TIMEOUT_MS = 5_000;

type Phase = "starting" | "ready" | "failed" | "stopped";
type FailedKind = Extract<ConnectionEvent, { type: "CONNECTION.FAILED" }>["kind"];

/** One MCP session with a remote server: its client, transport and which transport it is. */
interface Session {
  client: Client;
  transport: RemoteTransport;
  kind: RemoteTransportKind;
  /** Counts sessions of this connection; a call remembers the one it was sent on. */
  generation: number;
  /** The server dropped the event stream this session's answers travel on (legacy SSE). */
  broken: boolean;
}

export interface RemoteConnectionOptions {
  /** Where the connection logs (tests capture it). Default: the hangar log. */
  log?: Logger;
  /** Where the server's requests and notifications for clients go (see provider-requests.ts). */
  bridge?: ClientBridge;
}

/**
 * A remote MCP server over streamable HTTP (or legacy SSE), for as long as the invoking provider
 * state lasts — the same protocol as the subprocess connection: "start" is connect + initialize,
 * "stop" closes the session with DELETE. When the server loses the session (a restart, an
 * expiry), the connection re-initializes once and repeats the call if the tool is safe to repeat,
 * instead of wedging; when the server cannot be reached, it fails and recovery takes over.
 */
export function createRemoteConnection(options: RemoteConnectionOptions = {}) {
  return fromCallback(remoteConnectionCallback(options));
}

/** The remote connection's callback, for connections that choose by mode (see provider-connection.ts). */
export function remoteConnectionCallback(options: RemoteConnectionOptions = {}): ConnectionCallback {
  const baseLog = options.log ?? hangarLog;
  return ({ input, sendBack, receive }) => {
    const session = new RemoteSession(input, sendBack, baseLog, options.bridge);
    receive((event) => {
      switch (event.type) {
        case "CALL":
          session.call(event.call);
          break;
        case "CALLS":
          for (const call of event.calls) session.call(call);
          break;
        case "PROBE":
          session.probe(event.timeoutMs, event.reply);
          break;
      }
    });
    session.start();
    return () => {
      session.stop();
    };
  };
}

export const remoteConnection = createRemoteConnection();

class RemoteSession {
  private readonly spec: RemoteProviderSpec | undefined;
  private readonly id: string;
  private readonly notes: LineRing;
  private readonly log: Logger;
  private phase: Phase = "starting";
  private session: Session | undefined;
  private generation = 0;
  /** A re-initialization in progress: every call that finds the session lost waits for the same one. */
  private reinitializing: Promise<boolean> | undefined;
  private tools: Tool[] = [];
  private readonly inflight = new Map<ToolCall, number>();
  private readonly progressCalls = new Map<unknown, ProgressCall>();
  private readonly probes = new Set<PendingProbe>();
  private pingUnsupported = false;
  private readonly startup = new AbortController();
  private startupTimer: NodeJS.Timeout | undefined;
  /** Server→client requests and notifications; undefined without a bridge. */
  private readonly requests: ProviderRequests | undefined;

  constructor(
    input: ConnectionInput,
    private readonly sendBack: (event: ConnectionEvent) => void,
    baseLog: Logger,
    private readonly bridge: ClientBridge | undefined,
  ) {
    this.requests = bridge === undefined ? undefined : new ProviderRequests(input.spec.id, bridge, () => this.inflight.keys());
    this.spec = input.spec.mode === "remote" ? input.spec : undefined;
    this.id = input.spec.id;
    this.notes = input.stderr;
    this.log = baseLog.child({ provider: input.spec.id });
  }

  private get callTimeoutMs(): number {
    return (this.spec?.callTimeoutS ?? 30) * 1000;
  }

  private get maxCallMs(): number {
    return positiveOr(this.spec?.maxCallS, DEFAULT_MAX_CALL_S) * 1000;
  }

  /** The URL as messages show it: no credentials, no query (either may carry a token). */
  private get where(): string {
    if (this.spec === undefined) return "(no URL)";
    const url = new URL(this.spec.url);
    return redactor.redact(`${url.origin}${url.pathname}`);
  }

  start(): void {
    const spec = this.spec;
    if (spec === undefined) {
      queueMicrotask(() => {
        this.fail("start_failed", `provider "${this.id}" is not a remote provider`);
      });
      return;
    }
    const startupMs = spec.startupTimeoutS * 1000;
    this.startupTimer = setTimeout(() => {
      this.fail("start_failed", `remote provider "${this.id}" at ${this.where} did not complete MCP initialization within ${spec.startupTimeoutS} s`);
    }, startupMs);
    void this.initialize(spec, startupMs);
  }

  private async initialize(spec: RemoteProviderSpec, startupMs: number): Promise<void> {
    try {
      const session = await this.connect(spec, this.startup.signal, startupMs);
      // Predefined tools are enough to take calls: the calls that started the provider go out
      // now, and its own list is asked for beside them (each request is its own POST).
      const listFirst = spec.tools.length === 0;
      const tools = listFirst ? await listAllTools(session.client, this.startup.signal, startupMs) : undefined;
      if (this.phase !== "starting") return;
      clearTimeout(this.startupTimer);
      if (tools !== undefined) this.tools = tools;
      this.phase = "ready";
      const protocolVersion = transportProtocolVersion(session.transport);
      this.log.debug("remote provider ready", { url: this.where, transport: session.kind, tools: tools?.length ?? "not listed yet" });
      this.emit({ type: "CONNECTION.READY", tools, pid: undefined, serverInfo: session.client.getServerVersion(), protocolVersion });
      if (!listFirst) this.onToolsListChanged();
    } catch (error) {
      if (this.phase !== "starting") return;
      this.fail("start_failed", `could not connect to remote provider "${this.id}" at ${this.where}: ${safeText(error)}`);
    }
  }

  /** A new session: streamable HTTP, or SSE where the server only speaks that (or the config says so). */
  private async connect(spec: RemoteProviderSpec, signal: AbortSignal | undefined, timeout: number): Promise<Session> {
    const kinds = transportKinds(spec);
    for (const [index, kind] of kinds.entries()) {
      const session = this.newSession(spec, kind);
      try {
        await session.client.connect(session.transport, { signal, timeout });
        this.session = session;
        this.requests?.initialized({ capabilities: session.client.getServerCapabilities(), instructions: session.client.getInstructions() });
        this.notes.push(`--- connected to ${this.where} over ${kind} ---`);
        return session;
      } catch (error) {
        void session.client.close().catch(() => undefined);
        const next = kinds[index + 1];
        if (next === undefined || !suggestsLegacySse(error)) throw error;
        this.log.debug("streamable HTTP refused; trying legacy SSE", { url: this.where, error: safeText(error) });
      }
    }
    throw new Error("no transport to try");
  }

  private newSession(spec: RemoteProviderSpec, kind: RemoteTransportKind): Session {
    const client = newProviderClient();
    const transport = createRemoteTransport(spec, kind);
    const session: Session = { client, transport, kind, generation: ++this.generation, broken: false };
    // Seen before the SDK's Protocol sees each message (connect() chains it), synchronously.
    transport.onmessage = this.onWireMessage;
    client.onerror = (error) => {
      this.onTransportError(session, error);
    };
    client.onclose = () => {
      // A stream the server ended: answers can no longer arrive on this session.
      session.broken = true;
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, this.onToolsListChanged);
    if (this.requests !== undefined && this.bridge !== undefined) {
      const advertised = this.bridge.advertisedCapabilities();
      client.registerCapabilities(advertised);
      this.requests.install(client, advertised);
    }
    return session;
  }

  call(call: ToolCall): void {
    this.inflight.set(call, performance.now());
    this.requests?.noteCall(call);
    if (this.phase === "ready") {
      void this.runCall(call, false);
      return;
    }
    if (this.phase === "stopped") {
      this.inflight.delete(call);
      replySafely(call, failure("cancelled", "provider stopped"), this.log);
      return;
    }
    const reason = this.phase === "starting" ? "is still connecting" : "connection has failed";
    this.settle(call, failure("unavailable", `provider "${this.id}" ${reason}`));
  }

  private async runCall(call: ToolCall, repeated: boolean): Promise<void> {
    let session = this.session;
    if (session?.broken === true) session = await this.reinitialize(session);
    if (session === undefined || !this.inflight.has(call)) return;
    const requestedMs = call.timeoutMs ?? this.callTimeoutMs;
    const timeoutMs = Math.min(requestedMs, this.maxCallMs);
    const progress = call.onProgress === undefined ? undefined : new ProgressCall(call, timeoutMs, this.log);
    let outcome: CallOutcome | undefined;
    try {
      let result: CallToolResult;
      if (progress === undefined) {
        result = await session.client.request(
          callRequest(call, withTraceContext(call.meta, call, this.id)),
          passthroughResult,
          { timeout: timeoutMs, signal: call.signal },
        );
      } else {
        this.progressCalls.set(progress.token, progress);
        result = await session.client.request(
          callRequest(call, withTraceContext(progress.meta(), call, this.id)),
          passthroughResult,
          { timeout: this.maxCallMs, signal: progress.signal },
        );
      }
      outcome = { status: "result", kind: result.isError === true ? "tool_error" : "ok", result };
    } catch (error) {
      if (!this.inflight.has(call)) return;
      if (call.signal?.aborted !== true && this.lostWith(session, error)) {
        await this.retryAfterLoss(call, session, repeated);
        return;
      }
      outcome = this.classifyCallError(call, error, timeoutMs, progress);
    } finally {
      if (progress !== undefined) {
        progress.dispose();
        this.progressCalls.delete(progress.token);
      }
    }
    if (outcome !== undefined) this.settle(call, outcome);
  }

  /** The session `error` came from is gone: lost by the server, replaced meanwhile, or its stream dropped. */
  private lostWith(session: Session, error: unknown): boolean {
    if (isSessionLost(error)) return true;
    const closed = error instanceof McpError && error.code === (ErrorCode.ConnectionClosed as number);
    return closed && (session.generation !== this.session?.generation || session.broken);
  }

  /** Re-initializes (once for all calls that noticed), then repeats the call if that is harmless. */
  private async retryAfterLoss(call: ToolCall, session: Session, repeated: boolean): Promise<void> {
    const fresh = await this.reinitialize(session);
    if (fresh === undefined || !this.inflight.has(call)) return; // failed: fail() answered the call
    if (repeated) {
      this.settle(call, failure("transport", `remote provider "${this.id}" lost the session again right after re-initializing`));
      return;
    }
    if (!isRetrySafe(this.tools.find((tool) => tool.name === call.tool)?.annotations)) {
      this.settle(
        call,
        failure(
          "transport",
          `remote provider "${this.id}" lost the MCP session during "${call.tool}"; the session was re-initialized, ` +
            `but the call was not repeated because "${call.tool}" is not marked read-only or idempotent — call it again if that is safe`,
        ),
      );
      return;
    }
    this.log.info("repeating a call after the remote session was re-initialized", { tool: call.tool, correlationId: call.correlationId });
    await this.runCall(call, true);
  }

  /**
   * A new session in place of `lost`, or the one another caller already made. Undefined when it
   * cannot be made: then the connection has failed (recovery reconnects with backoff).
   */
  private async reinitialize(lost: Session): Promise<Session | undefined> {
    if (this.session !== undefined && this.session.generation !== lost.generation && !this.session.broken) return this.session;
    const spec = this.spec;
    if (spec === undefined || this.phase !== "ready") return undefined;
    this.reinitializing ??= (async () => {
      this.log.warn("the remote server lost the MCP session; re-initializing", { url: this.where });
      this.notes.push(`--- session lost at ${this.where}; re-initializing ---`);
      // Not DELETE: the server no longer knows the session.
      void lost.client.close().catch(() => undefined);
      const timeout = spec.startupTimeoutS * 1000;
      try {
        const session = await this.connect(spec, undefined, timeout);
        const tools = await listAllTools(session.client, undefined, timeout);
        if (this.phase !== "ready") {
          void session.client.close().catch(() => undefined);
          return false;
        }
        // The new session may serve other tools (a server upgraded by its restart).
        if (JSON.stringify(tools) !== JSON.stringify(this.tools)) this.emit({ type: "CONNECTION.TOOLS_CHANGED", tools });
        this.tools = tools;
        return true;
      } catch (error) {
        this.fail("transport", `remote provider "${this.id}" at ${this.where} lost the MCP session and re-initializing failed: ${safeText(error)}`);
        return false;
      } finally {
        this.reinitializing = undefined;
      }
    })();
    return (await this.reinitializing) ? this.session : undefined;
  }

  /** undefined: the connection failed and fail() answered the call. */
  private classifyCallError(call: ToolCall, error: unknown, timeoutMs: number, progress: ProgressCall | undefined): CallOutcome | undefined {
    if (call.signal?.aborted === true) return failure("cancelled", "the caller cancelled the call");
    if (progress?.idleTimedOut === true) return failure("timeout", `remote provider "${this.id}" did not answer "${call.tool}" within ${seconds(timeoutMs)} s of its last progress notification`);
    if (error instanceof McpError && error.code === (ErrorCode.RequestTimeout as number)) {
      if (isOwnTimeout(error, progress === undefined ? timeoutMs : this.maxCallMs)) {
        return failure("timeout", `remote provider "${this.id}" did not answer "${call.tool}" within ${seconds(progress === undefined ? timeoutMs : this.maxCallMs)} s`);
      }
    }
    if (isProviderRpcError(error, timeoutMs)) {
      const message = providerMessage(error);
      return error.data === undefined
        ? { status: "rpc_error", kind: "tool_error", code: error.code, message }
        : { status: "rpc_error", kind: "tool_error", code: error.code, message, data: error.data };
    }
    if (isUnreachable(error)) {
      // The server is gone, not just this call: recovery reconnects with backoff.
      this.fail("transport", `remote provider "${this.id}" at ${this.where} cannot be reached: ${safeText(error)}`);
      return undefined;
    }
    return failure("transport", `remote provider "${this.id}" failed "${call.tool}": ${safeText(error)}`);
  }

  probe(timeoutMs: number, reply: (result: ProbeResult) => void): void {
    const pending: PendingProbe = { reply, method: "ping", deadline: undefined };
    this.probes.add(pending);
    if (this.phase !== "ready") {
      this.settleProbe(pending, { ok: false, message: "not connected" });
      return;
    }
    pending.deadline = setTimeout(() => {
      this.settleProbe(pending, { ok: false, message: `no answer to ${pending.method} within ${seconds(timeoutMs)} s` });
    }, timeoutMs);
    void this.runProbe(pending, timeoutMs, false);
  }

  /** ping, or tools/list when the server answers ping with an error; a lost session is re-initialized once. */
  private async runProbe(pending: PendingProbe, timeoutMs: number, repeated: boolean): Promise<void> {
    let session = this.session;
    if (session?.broken === true) session = await this.reinitialize(session);
    if (session === undefined) {
      this.settleProbe(pending, { ok: false, message: "not connected" });
      return;
    }
    const started = performance.now();
    try {
      if (!this.pingUnsupported) {
        try {
          await session.client.request({ method: "ping" }, EmptyResultSchema, { timeout: timeoutMs });
          this.settleProbe(pending, { ok: true, method: "ping", durationMs: performance.now() - started });
          return;
        } catch (error) {
          if (!isProviderRpcError(error, timeoutMs) || isSessionLost(error)) throw error;
          if (error.code === (ErrorCode.MethodNotFound as number)) this.pingUnsupported = true;
        }
      }
      pending.method = "tools/list";
      await session.client.request({ method: "tools/list" }, anyResult, { timeout: timeoutMs });
      this.settleProbe(pending, { ok: true, method: "tools/list", durationMs: performance.now() - started });
    } catch (error) {
      if (!this.probes.has(pending)) return;
      if (!repeated && this.lostWith(session, error) && (await this.reinitialize(session)) !== undefined) {
        await this.runProbe(pending, timeoutMs, true);
        return;
      }
      const message = isProviderRpcError(error, timeoutMs) ? providerMessage(error) : safeText(error);
      this.settleProbe(pending, { ok: false, message: `${pending.method} failed: ${message}` });
    }
  }

  private settleProbe(pending: PendingProbe, result: ProbeResult): void {
    settleProbe(this.probes, pending, result, this.log);
  }

  private settle(call: ToolCall, outcome: CallOutcome): void {
    settleCall(this.inflight, call, outcome, this.log, this.outbox);
  }

  /** At most once; answers every in-flight call and probe before telling the provider actor. */
  private fail(kind: FailedKind, message: string): void {
    if (this.phase === "failed" || this.phase === "stopped") return;
    this.phase = "failed";
    clearTimeout(this.startupTimer);
    this.startup.abort(new Error(message));
    this.notes.push(message);
    const callFailure = failure(kind, message);
    for (const call of [...this.inflight.keys()]) this.settle(call, callFailure);
    for (const probe of [...this.probes]) this.settleProbe(probe, { ok: false, message: `not connected: ${message}` });
    const session = this.session;
    if (session !== undefined) void session.client.close().catch(() => undefined);
    this.log.debug("remote connection failed", { kind, message });
    this.emit({ type: "CONNECTION.FAILED", kind, message });
  }

  /** Answers what is in flight, then ends the session with DELETE (tracked, so shutdown awaits it). */
  stop(): void {
    if (this.phase === "stopped") return;
    this.phase = "stopped";
    clearTimeout(this.startupTimer);
    this.startup.abort(new Error("provider stopped"));
    const stopped = failure("cancelled", "provider stopped");
    for (const call of this.inflight.keys()) replySafely(call, stopped, this.log);
    this.inflight.clear();
    for (const probe of [...this.probes]) this.settleProbe(probe, { ok: false, message: "not connected (provider stopped)" });
    const session = this.session;
    if (session !== undefined) trackTeardown(this.closeSession(session));
  }

  private async closeSession(session: Session): Promise<void> {
    const { transport, client } = session;
    if (transport instanceof StreamableHTTPClientTransport && transport.sessionId !== undefined && !session.broken) {
      const deadline = AbortSignal.timeout(CLOSE_TIMEOUT_MS);
      try {
        await Promise.race([transport.terminateSession(), aborted(deadline)]);
      } catch (error) {
        this.log.debug("ending the remote session (DELETE) failed", { url: this.where, error: safeText(error) });
      }
    }
    await client.close().catch((error: unknown) => {
      this.log.debug("closing the remote MCP client failed", { error: safeText(error) });
    });
  }

  /** Everything this connection tells the provider actor goes through here (answered calls gathered per tick). */
  private readonly outbox = new ConnectionOutbox((event) => {
    if (this.phase !== "stopped") this.sendBack(event);
  });

  private readonly emit = (event: ConnectionEvent): void => {
    this.outbox.send(event);
  };

  private onTransportError(session: Session, error: Error): void {
    // Legacy SSE answers on the event stream: once it drops, the session cannot answer any more,
    // and the next call re-initializes (the SDK's EventSource would otherwise silently reconnect
    // to a fresh, uninitialized session).
    if (session.kind === "sse" && error.name === "SseError" && this.phase === "ready" && session === this.session && !session.broken) {
      session.broken = true;
      void session.client.close().catch(() => undefined);
    }
    // Streamable HTTP's standalone GET stream reconnects by itself; a lost session shows on the next POST.
    this.log.debug("remote transport error", { url: this.where, error: safeText(error) });
  }

  private readonly onToolsListChanged = (): void => {
    const session = this.session;
    if (this.phase !== "ready" || session === undefined) return;
    void listAllTools(session.client, undefined, this.callTimeoutMs).then(
      (tools) => {
        if (this.phase !== "ready") return;
        this.tools = tools;
        this.emit({ type: "CONNECTION.TOOLS_CHANGED", tools });
      },
      (error: unknown) => {
        // The tools known so far stand (the predefined ones, or the last list).
        if (this.phase === "ready") this.log.warn("listing the remote provider's tools failed", { error: safeText(error) });
      },
    );
  };

  private readonly onWireMessage = (message: JSONRPCMessage): void => {
    if (this.progressCalls.size === 0) return;
    const notification = progressNotification(message);
    if (notification !== undefined) this.progressCalls.get(notification.token)?.deliver(notification.params);
  };
}

/** Error text with registered secrets (header values, URL credentials) masked. */
function safeText(error: unknown): string {
  return redactor.redact(errorText(error));
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => {
      reject(new Error("timed out"));
    });
  });
}
