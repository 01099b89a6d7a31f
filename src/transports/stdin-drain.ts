import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../observability/log.js";
import type { StdioServerLineTransport } from "./stdio-server-transport.js";

/**
 * What the stdio front end does when the client closes the hangar's stdin. The MCP spec's stdio
 * shutdown is: the client closes stdin, waits for the server to exit, then SIGTERM, then SIGKILL.
 * A client that writes its requests and closes stdin at once (`printf … | mcp-hangar`) still
 * expects their answers, so the requests already read are finished first — a call waiting for a
 * provider that is still starting, a group call failing over, a registry_invoke — and their
 * answers written; then the hangar shuts down as before. With nothing in flight it shuts down at
 * once, as it always did.
 *
 * Bounded by `timeoutS`: requests still open then are answered with an error that says why, and
 * the shutdown goes on. A signal or a broken stdout (nobody left to answer) ends the drain early
 * through `abandon`; the shutdown itself runs once whatever comes first (cli/main.ts).
 */
export class StdinDrain {
  private phase: "serving" | "draining" | "over" = "serving";
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private drained = 0;

  constructor(
    private readonly transport: StdioServerLineTransport,
    /** 0: no drain — the requests in flight are cut by the shutdown, as by a signal. */
    private readonly timeoutS: number,
    private readonly log: Logger,
    /** Shuts the hangar down; the reason goes into its "shutting down (…)" line. */
    private readonly shutDown: (reason: string) => void,
  ) {}

  /** stdin ended. Runs once; a drain already under way or over ignores it. */
  readonly begin = (): void => {
    if (this.phase !== "serving") return;
    const open = this.transport.unanswered.size;
    if (open === 0 || this.timeoutS === 0) {
      this.phase = "over";
      this.shutDown("stdin closed");
      return;
    }
    this.phase = "draining";
    this.drained = open;
    this.startedAt = performance.now();
    this.log.info(`stdin closed with ${requests(open)} in flight: answering them before shutting down (drain timeout ${this.timeoutS} s)`);
    this.timer = setTimeout(this.expire, this.timeoutS * 1000);
    this.transport.unanswered.whenEmpty(this.finish);
  };

  /** A signal or a broken stdout shuts the hangar down now: the drain stops waiting. */
  abandon(reason: string): void {
    if (this.phase === "draining") {
      const left = this.transport.unanswered.size;
      this.log.info(`drain cut short by ${reason}: ${this.drained - left} of ${requests(this.drained)} answered, ${left} left to the shutdown`);
    }
    this.phase = "over";
    clearTimeout(this.timer);
  }

  private readonly finish = (): void => {
    if (this.phase !== "draining") return;
    this.phase = "over";
    clearTimeout(this.timer);
    const ms = Math.round(performance.now() - this.startedAt);
    this.log.info(`drain finished: ${requests(this.drained)} answered in ${ms} ms`);
    this.shutDown(`stdin closed; ${requests(this.drained)} answered first`);
  };

  private readonly expire = (): void => {
    if (this.phase !== "draining") return;
    this.phase = "over";
    const cut = this.transport.answerUnanswered({
      code: ErrorCode.RequestTimeout,
      message: `the client closed stdin; drain timed out after ${this.timeoutS} s`,
      data: { reason: "stdin_closed_drain_timeout", drain_timeout_s: this.timeoutS },
    });
    this.log.warn(`drain timed out after ${this.timeoutS} s: ${this.drained - cut} of ${requests(this.drained)} answered, ${cut} cut with an error`);
    this.shutDown(`stdin closed; drain timed out after ${this.timeoutS} s`);
  };
}

function requests(count: number): string {
  return count === 1 ? "1 request" : `${count} requests`;
}
