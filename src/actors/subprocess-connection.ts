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
import type { ProviderSpec } from "../config/types.js";
import { failure, withTraceContext, type CallOutcome, type ToolCall } from "../machines/call.js";
import type { ConnectionCallback, ConnectionEvent, ConnectionInput, ProbeResult } from "../machines/connection-protocol.js";
import { log as hangarLog, type Logger } from "../observability/log.js";
import type { LineRing } from "../shared/line-ring.js";
import { redactor } from "../shared/redaction.js";
import { ChildProcessTransport, DEFAULT_MAX_MESSAGE_BYTES, MalformedLineError, MessageTooLargeError } from "./child-process-transport.js";
import { forEachLine } from "./line-splitter.js";
import { listAllTools } from "./list-tools.js";
import { positiveOr, replySafely, seconds, settleCall, settleProbe, type PendingProbe } from "./call-replies.js";
import { ConnectionOutbox } from "./connection-outbox.js";
import { errorText, isOwnTimeout, isProviderRpcError, providerMessage } from "./mcp-errors.js";
import { anyResult } from "./mcp-results.js";
import { ProgressCall, progressNotification } from "./progress-call.js";
import type { LauncherFor, ProcessLauncher, ProviderProcess } from "./provider-process.js";
import { ProviderRequests, type ClientBridge } from "./provider-requests.js";
import { callRequest } from "./call-request.js";
import { StderrLogLimiter } from "./stderr-log-limiter.js";
import { DirectRequests, type DirectAnswer } from "./direct-requests.js";
import { subprocessLauncher } from "./subprocess-launcher.js";
import { newProviderClient } from "./provider-client.js";

/** How much of the provider's stderr travels with a crash or start failure. */
export const STDERR_TAIL_LINES = 20;
/**
 * After the process exits, how long its pipes get to deliver the last bytes (an answer written
 * just before exiting, the stderr line that explains the crash). Usually the child's 'close'
 * comes first; the timer covers a grandchild that still holds the pipes open.
 */
const EXIT_FLUSH_MS = 250;
/** After stdout closes, how long the process gets to exit before the break is called `transport`. */
const CHANNEL_LOSS_GRACE_MS = 1_000;
/** max_call_s when the spec has none (a config from before the field existed). */
const DEFAULT_MAX_CALL_S = 600;
/**
 * A tools/list_changed that came while the provider started is answered by a re-list this much
 * after READY, not at once: the calls that waited for READY go first. Many servers announce their
 * tools at initialized (server-everything does), and a provider busy building a long tools/list
 * answer held the cold start's first call behind it (~11 ms of its ~35 ms overhead).
 */
const STARTUP_RELIST_DELAY_MS = 50;

type Phase = "starting" | "ready" | "failed" | "stopped";

/** One call sent to the provider, as its answer needs it back. */
interface CallAttempt {
  call: ToolCall;
  /** The call's timeout (capped by max_call_s) and what it asked for. */
  timeoutMs: number;
  requestedMs: number;
  progress: ProgressCall | undefined;
}
type FailedKind = Extract<ConnectionEvent, { type: "CONNECTION.FAILED" }>["kind"];

export interface SubprocessConnectionOptions {
  /** Where the connection logs (tests capture it). Default: the hangar log. */
  log?: Logger;
  /** The hangar environment the provider env is drawn from. Default: process.env. */
  hangarEnv?: NodeJS.ProcessEnv;
  /** The front end's clients: server→client requests and notifications go there. Default: none (a provider sees a client without sampling, elicitation or roots). */
  bridge?: ClientBridge;
}

/**
 * One provider process and its MCP session, for exactly as long as the invoking provider state
 * lasts. Events follow connection-protocol.ts: READY once initialized and listed (initialized only, with predefined tools), FAILED at most
 * once, CALL.DONE per call, nothing after the actor stops. Stopping answers the calls still in
 * flight, closes the session and ends the process group through terminateProcessGroup.
 */
export function createSubprocessConnection(options: SubprocessConnectionOptions = {}) {
  const hangarEnv = options.hangarEnv ?? process.env;
  return createStdioConnection((spec) => subprocessLauncher(spec, hangarEnv), options);
}

/**
 * A connection speaking MCP over a provider process's stdio, whatever starts the process: the
 * subprocess connection above, and the container connection (a container attached over the
 * engine API) share everything but the launcher.
 */
export function createStdioConnection(launcherFor: LauncherFor, options: Pick<SubprocessConnectionOptions, "log" | "bridge"> = {}) {
  return fromCallback(stdioConnectionCallback(launcherFor, options));
}

/** The stdio connection's callback, for connections that choose by mode (see provider-connection.ts). */
export function stdioConnectionCallback(launcherFor: LauncherFor, options: Pick<SubprocessConnectionOptions, "log" | "bridge"> = {}): ConnectionCallback {
  const baseLog = options.log ?? hangarLog;
  return ({ input, sendBack, receive }) => {
    const session = new StdioSession(input, launcherFor(input.spec), sendBack, baseLog, options.bridge);
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

export const subprocessConnection = createSubprocessConnection();

class StdioSession {
  private readonly spec: ProviderSpec;
  private readonly stderr: LineRing;
  private readonly log: Logger;
  private phase: Phase = "starting";
  private child: ProviderProcess | undefined;
  private transport: ChildProcessTransport | undefined;
  /** tools/call and the other calls, sent on the transport without the SDK's Protocol. */
  private direct: DirectRequests<CallAttempt> | undefined;
  private readonly client = newProviderClient();
  /** In-flight calls and when each started; membership is what guarantees one reply per call. */
  private readonly inflight = new Map<ToolCall, number>();
  /** Calls that asked for progress, by the progressToken sent with them. */
  private readonly progressCalls = new Map<unknown, ProgressCall>();
  /** Probes waiting for an answer; membership guarantees one reply per probe. */
  private readonly probes = new Set<PendingProbe>();
  /** The provider answered ping with a JSON-RPC error: later probes go straight to tools/list. */
  private pingUnsupported = false;
  private readonly stderrLog: StderrLogLimiter;
  private readonly startup = new AbortController();
  private startupTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private channelTimer: NodeJS.Timeout | undefined;
  private relistTimer: NodeJS.Timeout | undefined;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Counts tools/list_changed notifications, so a re-list knows whether it is already stale. */
  private listChanges = 0;
  private relisting = false;
  /** Server→client requests and notifications; undefined without a bridge. */
  private readonly requests: ProviderRequests | undefined;

  constructor(
    input: ConnectionInput,
    private readonly launcher: ProcessLauncher,
    private readonly sendBack: (event: ConnectionEvent) => void,
    baseLog: Logger,
    private readonly bridge: ClientBridge | undefined,
  ) {
    this.spec = input.spec;
    this.requests = bridge === undefined ? undefined : new ProviderRequests(input.spec.id, bridge, () => this.inflight.keys());
    this.stderr = input.stderr;
    this.log = baseLog.child({ provider: input.spec.id });
    this.stderrLog = new StderrLogLimiter(this.log);
  }

  private get callTimeoutMs(): number {
    return this.spec.callTimeoutS * 1000;
  }

  /** max_call_s: no call runs longer, however much progress it reports. */
  private get maxCallMs(): number {
    return positiveOr(this.spec.maxCallS, DEFAULT_MAX_CALL_S) * 1000;
  }

  start(): void {
    let child: ProviderProcess;
    try {
      child = this.launcher.launch();
    } catch (error) {
      // Reported a tick later so the parent never receives an event from inside the actor's start.
      queueMicrotask(() => {
        this.fail("start_failed", `could not start ${this.launcher.description}: ${errorText(error)}`);
      });
      return;
    }
    // The ring outlives this process: a marker keeps one run's lines apart from the last one's.
    // "starting", and a pid only when there is one: a spawn can still fail (ENOENT is reported a
    // tick later), and a container's pid is known only once the engine has started it.
    this.stderr.push(`--- starting ${this.launcher.description}${child.pid === undefined ? "" : `, pid ${child.pid}`} ---`);
    const transport = new ChildProcessTransport(child.stdin, child.stdout, {
      maxMessageBytes: positiveOr(this.spec.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    });
    this.child = child;
    this.transport = transport;
    this.direct = new DirectRequests(transport, this.onCallAnswer);
    // Spawn errors (ENOENT, EACCES) are emitted on a later tick, after this listener is in place.
    child.on("error", this.onChildError);
    child.once("exit", this.onExit);
    forEachLine(child.stderr, this.onStderrLine);
    child.stderr.on("error", this.onPipeError);
    child.stderr.once("end", this.onStderrEnd);

    // Offered each message before the SDK's Protocol, synchronously: call answers and progress stop here.
    transport.claim = this.onWireMessage;
    this.client.onerror = this.onClientError;
    this.client.onclose = this.onChannelClosed;
    this.client.setNotificationHandler(ToolListChangedNotificationSchema, this.onToolsListChanged);
    if (this.requests !== undefined && this.bridge !== undefined) {
      // Declared at initialize, so fixed for this process: what the clients connected so far can do.
      const advertised = this.bridge.advertisedCapabilities();
      this.client.registerCapabilities(advertised);
      this.requests.install(this.client, advertised);
    }

    const startupMs = this.spec.startupTimeoutS * 1000;
    this.startupTimer = setTimeout(this.onStartupTimeout, startupMs);
    void this.initialize(transport, startupMs);
  }

  call(call: ToolCall): void {
    this.inflight.set(call, performance.now());
    this.requests?.noteCall(call);
    if (this.phase === "ready") {
      this.runCall(call);
      return;
    }
    // The provider chart sends calls only while READY; anything else is a race with a failure.
    if (this.phase === "stopped") {
      this.inflight.delete(call);
      replySafely(call, failure("cancelled", "provider stopped"), this.log);
      return;
    }
    const reason = this.phase === "starting" ? "is still starting" : "connection has failed";
    this.settle(call, failure("unavailable", `provider "${this.spec.id}" ${reason}`));
  }

  /**
   * A health probe: MCP ping, or tools/list (first page) when the provider answers ping with a
   * JSON-RPC error. Replies exactly once, within timeoutMs; never a call (no CALL.DONE).
   */
  probe(timeoutMs: number, reply: (result: ProbeResult) => void): void {
    const pending: PendingProbe = { reply, method: "ping", deadline: undefined };
    this.probes.add(pending);
    if (this.phase !== "ready") {
      this.settleProbe(pending, { ok: false, message: "not connected" });
      return;
    }
    // The SDK's request timeouts normally answer first; this bounds the wait when the process
    // dies mid-probe and the exit path would take longer than the probe may.
    pending.deadline = setTimeout(() => {
      this.settleProbe(pending, { ok: false, message: `no answer to ${pending.method} within ${seconds(timeoutMs)} s` });
    }, timeoutMs);
    void this.runProbe(pending, timeoutMs);
  }

  stop(): void {
    if (this.phase === "stopped") return;
    this.phase = "stopped";
    this.clearTimers();
    this.stderrLog.close();
    this.startup.abort(new Error("provider stopped"));
    const stopped = failure("cancelled", "provider stopped");
    for (const call of this.inflight.keys()) replySafely(call, stopped, this.log);
    this.inflight.clear();
    for (const probe of [...this.probes]) this.settleProbe(probe, { ok: false, message: "not connected (provider stopped)" });
    this.direct?.closeAll();
    const child = this.child;
    if (child === undefined) return;
    this.client.close().catch((error: unknown) => {
      this.log.debug("closing the MCP client failed", { error });
    });
    // Tracked by the process registry, so the hangar's shutdown can await it.
    void this.launcher.terminate(child, this.spec.shutdownGraceS * 1000);
  }

  private async initialize(transport: ChildProcessTransport, startupMs: number): Promise<void> {
    const signal = this.startup.signal;
    try {
      // connect() sends initialize, checks the version and sends notifications/initialized.
      await this.client.connect(transport, { signal, timeout: startupMs });
      this.requests?.initialized({ capabilities: this.client.getServerCapabilities(), instructions: this.client.getInstructions() });
      if (this.spec.tools.length > 0) {
        // Predefined tools are enough to take calls: the calls that started the provider go out
        // now, and the provider's own list follows them (a server that builds its list slowly
        // no longer holds the cold start's first call behind it).
        if (this.phase !== "starting") return;
        this.becomeReady(transport, undefined);
        this.relistTimer = setTimeout(this.onStartupRelist, STARTUP_RELIST_DELAY_MS);
        return;
      }
      const changesBeforeListing = this.listChanges;
      const tools = await this.listTools(signal, startupMs);
      if (this.phase !== "starting") return;
      this.becomeReady(transport, tools);
      if (this.listChanges !== changesBeforeListing) this.relistTimer = setTimeout(this.onStartupRelist, STARTUP_RELIST_DELAY_MS);
    } catch (error) {
      if (this.phase !== "starting") return;
      // A dead or deaf process: the exit or channel-loss path reports it, with the exit code.
      if (this.channelGone()) {
        this.watchChannelLoss("closed its stdout");
        return;
      }
      this.fail("start_failed", `MCP initialization failed: ${errorText(error)}`);
    }
  }

  /** READY: with the provider's listed tools, or without (undefined) while its predefined tools stand in. */
  private becomeReady(transport: ChildProcessTransport, tools: Tool[] | undefined): void {
    clearTimeout(this.startupTimer);
    this.phase = "ready";
    const pid = this.child?.pid;
    const protocolVersion = transport.protocolVersion;
    this.log.debug("provider ready", { pid, tools: tools?.length ?? "not listed yet", protocolVersion });
    this.emit({ type: "CONNECTION.READY", tools, pid, serverInfo: this.client.getServerVersion(), protocolVersion });
  }

  private listTools(signal: AbortSignal | undefined, timeout: number): Promise<Tool[]> {
    return listAllTools(this.client, signal, timeout);
  }

  private runCall(call: ToolCall): void {
    const direct = this.direct;
    if (direct === undefined) return; // READY implies a transport; kept for the type checker
    const requestedMs = call.timeoutMs ?? this.callTimeoutMs;
    const timeoutMs = Math.min(requestedMs, this.maxCallMs);
    if (call.onProgress === undefined) {
      const request = callRequest(call, withTraceContext(call.meta, call, this.spec.id));
      direct.send(request, timeoutMs, call.signal, { call, timeoutMs, requestedMs, progress: undefined });
      return;
    }
    // Only calls that want progress pay for the extra controller, timer and token.
    const progress = new ProgressCall(call, timeoutMs, this.log);
    this.progressCalls.set(progress.token, progress);
    // The request's deadline is the max_call_s cap; the progress call restarts the call timeout.
    const request = callRequest(call, withTraceContext(progress.meta(), call, this.spec.id));
    direct.send(request, this.maxCallMs, progress.signal, { call, timeoutMs, requestedMs, progress });
  }

  private readonly onCallAnswer = (attempt: CallAttempt, answer: DirectAnswer): void => {
    const { call, progress } = attempt;
    if (progress !== undefined) {
      progress.dispose();
      this.progressCalls.delete(progress.token);
    }
    if ("result" in answer) {
      const result = answer.result as CallToolResult;
      this.settle(call, { status: "result", kind: result.isError === true ? "tool_error" : "ok", result });
      return;
    }
    if (!this.inflight.has(call)) return; // already answered (stopped, or failed)
    const outcome = this.classifyCallError(call, answer.error, attempt.timeoutMs, attempt.requestedMs, progress);
    if (outcome !== undefined) this.settle(call, outcome);
  };

  /** undefined: leave the call in flight; the exit / channel-loss path answers it. */
  private classifyCallError(
    call: ToolCall,
    error: unknown,
    timeoutMs: number,
    requestedMs: number,
    progress: ProgressCall | undefined,
  ): CallOutcome | undefined {
    if (call.signal?.aborted === true) return failure("cancelled", "the caller cancelled the call");
    if (progress?.idleTimedOut === true) return failure("timeout", this.timeoutMessage(call, timeoutMs, requestedMs, progress));
    if (error instanceof McpError) {
      if (error.code === (ErrorCode.RequestTimeout as number)) {
        if (progress !== undefined && isOwnTimeout(error, this.maxCallMs)) {
          return failure(
            "timeout",
            `provider "${this.spec.id}" did not finish "${call.tool}" within ${seconds(this.maxCallMs)} s: the max_call_s cap was hit ` +
              `(${progress.notifications} progress notifications had extended its ${seconds(timeoutMs)} s timeout)`,
          );
        }
        if (progress === undefined && isOwnTimeout(error, timeoutMs)) {
          return failure("timeout", this.timeoutMessage(call, timeoutMs, requestedMs, progress));
        }
      }
      if (!(error.code === (ErrorCode.ConnectionClosed as number) && this.channelGone())) {
        const message = providerMessage(error);
        return error.data === undefined
          ? { status: "rpc_error", kind: "tool_error", code: error.code, message }
          : { status: "rpc_error", kind: "tool_error", code: error.code, message, data: error.data };
      }
    }
    if (this.channelGone()) {
      this.watchChannelLoss("closed its pipes");
      return undefined;
    }
    return failure("transport", `provider "${this.spec.id}" sent an invalid answer to "${call.tool}": ${errorText(error)}`);
  }

  private timeoutMessage(call: ToolCall, timeoutMs: number, requestedMs: number, progress: ProgressCall | undefined): string {
    const head = `provider "${this.spec.id}" did not answer "${call.tool}"`;
    if (timeoutMs < requestedMs) {
      return `${head} within ${seconds(timeoutMs)} s: the max_call_s cap was hit (the call asked for ${seconds(requestedMs)} s)`;
    }
    const cap = `the max_call_s cap of ${seconds(this.maxCallMs)} s was not reached`;
    if (progress !== undefined && progress.notifications > 0) {
      return `${head} within ${seconds(timeoutMs)} s of its last progress notification (${cap})`;
    }
    return `${head} within ${seconds(timeoutMs)} s (${cap})`;
  }

  private async runProbe(pending: PendingProbe, timeoutMs: number): Promise<void> {
    const started = performance.now();
    let requestTimeout = timeoutMs;
    try {
      if (!this.pingUnsupported) {
        try {
          await this.client.request({ method: "ping" }, EmptyResultSchema, { timeout: requestTimeout });
          this.settleProbe(pending, { ok: true, method: "ping", durationMs: performance.now() - started });
          return;
        } catch (error) {
          if (!isProviderRpcError(error, requestTimeout)) throw error;
          // Answered, with an error: the provider is alive but does not do ping.
          if (error.code === (ErrorCode.MethodNotFound as number)) this.pingUnsupported = true;
          this.log.debug("provider answered ping with an error; probing with tools/list", { error: error.message });
        }
      }
      pending.method = "tools/list";
      // One deadline for the whole probe.
      requestTimeout = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
      await this.client.request({ method: "tools/list" }, anyResult, { timeout: requestTimeout });
      this.settleProbe(pending, { ok: true, method: "tools/list", durationMs: performance.now() - started });
    } catch (error) {
      if (!this.probes.has(pending)) return;
      if (isProviderRpcError(error, requestTimeout)) {
        this.settleProbe(pending, { ok: false, message: `${pending.method} failed: ${providerMessage(error)}` });
      } else if (error instanceof McpError && isOwnTimeout(error, requestTimeout)) {
        this.settleProbe(pending, { ok: false, message: `no answer to ${pending.method} within ${seconds(timeoutMs)} s` });
      } else if (this.channelGone()) {
        // The process is going: the exit / channel-loss path answers with the reason.
        this.watchChannelLoss("closed its pipes");
      } else {
        this.settleProbe(pending, { ok: false, message: `${pending.method} failed: ${errorText(error)}` });
      }
    }
  }

  private settleProbe(pending: PendingProbe, result: ProbeResult): void {
    settleProbe(this.probes, pending, result, this.log);
  }

  private settle(call: ToolCall, outcome: CallOutcome): void {
    settleCall(this.inflight, call, outcome, this.log, this.outbox);
  }

  /** At most once; answers every in-flight call before telling the provider actor. */
  private fail(kind: FailedKind, message: string): void {
    if (this.phase === "failed" || this.phase === "stopped") return;
    this.phase = "failed";
    this.clearTimers();
    this.startup.abort(new Error(message));
    const tail = this.stderr.tail(STDERR_TAIL_LINES);
    const callFailure = failure(kind, message, tail);
    for (const call of [...this.inflight.keys()]) this.settle(call, callFailure);
    for (const probe of [...this.probes]) this.settleProbe(probe, { ok: false, message: `not connected: ${message}` });
    // The stderr tail travels separately (the chart attaches it to every answer it gives), so
    // the message stays one readable line.
    this.log.debug("provider connection failed", { kind, message });
    this.emit({ type: "CONNECTION.FAILED", kind, message });
  }

  /** Everything this connection tells the provider actor goes through here (answered calls gathered per tick). */
  private readonly outbox = new ConnectionOutbox((event) => {
    if (this.phase !== "stopped") this.sendBack(event);
  });

  private readonly emit = (event: ConnectionEvent): void => {
    this.outbox.send(event);
  };

  /** The pipes are gone or going: the provider cannot answer any more. */
  private channelGone(): boolean {
    return this.exit !== undefined || this.transport?.endedByPeer === true || this.child?.stdin.writable !== true;
  }

  /** Gives a process whose pipes broke a moment to exit (then it is a crash) before calling it a transport failure. */
  private watchChannelLoss(what: string): void {
    if (this.channelTimer !== undefined || this.exit !== undefined) return;
    if (this.phase !== "starting" && this.phase !== "ready") return;
    this.channelTimer = setTimeout(() => {
      this.channelTimer = undefined;
      if (this.exit !== undefined) return;
      const message = `provider "${this.spec.id}" ${what} while its process kept running`;
      this.fail(this.phase === "starting" ? "start_failed" : "transport", message);
    }, CHANNEL_LOSS_GRACE_MS);
  }

  private async refreshTools(): Promise<void> {
    this.relisting = true;
    try {
      let seen: number;
      let tools: Tool[];
      do {
        seen = this.listChanges;
        tools = await this.listTools(undefined, this.callTimeoutMs);
        // Another notification during the listing: this list may already be stale.
      } while (seen !== this.listChanges && this.phase === "ready");
      this.log.debug("provider tools changed", { tools: tools.length });
      if (this.phase === "ready") this.emit({ type: "CONNECTION.TOOLS_CHANGED", tools });
    } catch (error) {
      // The tools known so far stand (the predefined ones, or the last list).
      if (this.phase === "ready") this.log.warn("listing the provider's tools failed", { error });
    } finally {
      this.relisting = false;
    }
  }

  private clearTimers(): void {
    clearTimeout(this.startupTimer);
    clearTimeout(this.flushTimer);
    clearTimeout(this.channelTimer);
    clearTimeout(this.relistTimer);
    this.startupTimer = this.flushTimer = this.channelTimer = this.relistTimer = undefined;
  }

  // Handlers are bound once per session, not per call.

  private readonly onToolsListChanged = (): void => {
    // While starting, the count alone makes initialize() list again once READY is out; while a
    // re-list runs, it makes that re-list go round once more.
    this.listChanges++;
    this.relistUnlessUnderWay();
  };

  private readonly onStartupRelist = (): void => {
    this.relistTimer = undefined;
    // A notification since READY has started a re-list already (which goes round again as needed).
    this.relistUnlessUnderWay();
  };

  private relistUnlessUnderWay(): void {
    if (this.phase === "ready" && !this.relisting) void this.refreshTools();
  }

  private readonly onStartupTimeout = (): void => {
    this.startupTimer = undefined;
    this.fail("start_failed", `provider "${this.spec.id}" did not complete MCP initialization within ${this.spec.startupTimeoutS} s`);
  };

  private readonly onStderrLine = (line: string): void => {
    // Masked before storing: the ring's lines end up in errors and registry details.
    const safe = redactor.redact(line);
    this.stderr.push(safe);
    // Every line stays in the ring; the log gets at most so many a second.
    this.stderrLog.line(safe);
  };

  private readonly onStderrEnd = (): void => {
    this.stderrLog.close();
  };

  private readonly onChildError = (error: Error): void => {
    if (this.child?.pid === undefined) {
      this.fail("start_failed", `could not start ${this.launcher.description}: ${error.message}`);
      return;
    }
    this.log.warn("provider process error", { error });
  };

  private readonly onPipeError = (error: Error): void => {
    this.log.debug("provider pipe error", { error });
  };

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.exit = { code, signal };
    this.log.info("provider process exited", { code, signal });
    if (this.phase !== "starting" && this.phase !== "ready") return;
    clearTimeout(this.channelTimer);
    this.channelTimer = undefined;
    this.child?.once("close", this.onExitFlushed);
    this.flushTimer = setTimeout(this.onExitFlushed, EXIT_FLUSH_MS);
  };

  private readonly onExitFlushed = (): void => {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const how = describeExit(this.exit);
    if (this.phase === "starting") {
      this.fail("start_failed", `provider "${this.spec.id}" ${how} before completing MCP initialization`);
    } else if (this.phase === "ready") {
      this.fail("crash", `provider "${this.spec.id}" ${how}`);
    }
  };

  private readonly onChannelClosed = (): void => {
    // Closes we cause (stop, a failed initialize) are reported by whoever caused them.
    if (this.transport?.endedByPeer === true) this.watchChannelLoss("closed its stdout");
    this.direct?.closeAll();
  };

  private readonly onWireMessage = (message: JSONRPCMessage): boolean => {
    if (this.progressCalls.size !== 0) {
      const notification = progressNotification(message);
      const progress = notification === undefined ? undefined : this.progressCalls.get(notification.token);
      if (progress !== undefined && notification !== undefined) {
        progress.deliver(notification.params);
        return true;
      }
    }
    return this.direct?.claim(message) === true;
  };

  private readonly onClientError = (error: Error): void => {
    if (error instanceof MessageTooLargeError) {
      // The transport has closed itself; the chart stops this connection, which ends the process.
      const message = `provider "${this.spec.id}" sent a message of more than ${error.maxMessageBytes} bytes (max_message_bytes)`;
      this.fail(this.phase === "starting" ? "start_failed" : "transport", message);
      return;
    }
    if (error instanceof MalformedLineError) {
      this.log.warn("provider wrote a non-MCP line on stdout (ignored)", { error: error.message });
      return;
    }
    // Late answers to timed-out requests, unknown progress tokens, pipe errors: the exit and
    // channel-loss paths decide what matters.
    this.log.debug("MCP client error", { error: error.message });
  };
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null } | undefined): string {
  if (exit === undefined) return "exited";
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? "unknown"}`;
}

