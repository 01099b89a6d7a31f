import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import type Dockerode from "dockerode";
import type { ContainerProviderSpec } from "../config/types.js";
import type { Logger } from "../observability/log.js";
import { containerCreateOptions } from "./container-create-options.js";
import { describeEngineError } from "./container-engine.js";
import { ownerLabels } from "./container-labels.js";

/** Exit codes the engine reports for a container ended by a signal (128 + signal number). */
const SIGNAL_EXITS: Readonly<Record<number, NodeJS.Signals>> = { 137: "SIGKILL", 143: "SIGTERM", 130: "SIGINT" };

/**
 * A provider's container, shaped like the child process the stdio session already knows
 * (provider-process.ts): stdin/stdout/stderr streams that exist at once (bytes written before
 * the container runs, and its pid is known, wait in stdin), 'error' while `pid` is still undefined when it cannot be
 * created or started, 'exit' when it stops — for whatever reason, `docker kill` included — and
 * 'close' once its output has been delivered. terminate() stops and removes it.
 */
export class ContainerProcess extends EventEmitter {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** The container's main process on the host, once it runs. */
  pid: number | undefined;
  readonly name: string;
  private container: Dockerode.Container | undefined;
  /** Settles when creation is over, whether it worked or not. */
  private readonly created: Promise<void>;
  private terminating: Promise<void> | undefined;

  constructor(
    private readonly spec: ContainerProviderSpec,
    private readonly engine: Dockerode,
    private readonly log: Logger,
  ) {
    super();
    this.name = `mcp-hangar-${spec.id}-${randomBytes(4).toString("hex")}`;
    this.created = this.run();
  }

  private async run(): Promise<void> {
    const { spec } = this;
    let step = "create";
    try {
      // What is logged of the create call: never env values.
      this.log.debug("creating container", { image: spec.image, container: this.name, network: spec.isolation.network, readOnly: spec.isolation.readOnly });
      const container = await this.engine.createContainer(containerCreateOptions(spec, this.name, ownerLabels(spec.id)));
      this.container = container;
      if (this.terminating !== undefined) return;
      step = "attach";
      // Attached before start, so nothing the container writes at start-up is lost.
      const stream = await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
      this.pipe(stream);
      step = "start";
      await container.start();
      const info = await container.inspect();
      if (this.stopping) return;
      this.pid = info.State.Pid > 0 ? info.State.Pid : undefined;
      this.log.info("container started", { container: this.name, image: spec.image, pid: this.pid });
      // What the session wrote (initialize) reaches the server only now: an answer read before the
      // pid was known made the provider READY without one (on a loaded machine inspect came later).
      this.stdin.pipe(stream);
      void this.watchExit(container);
    } catch (error) {
      if (this.terminating !== undefined) return;
      const message = this.mask(describeEngineError(error, spec.image));
      this.log.debug(`container ${step} failed`, { container: this.name, error: message });
      // The session reports an 'error' before start as a start failure (pid is still undefined).
      this.pid = undefined;
      this.emit("error", new Error(message));
    }
  }

  private get stopping(): boolean {
    return this.terminating !== undefined;
  }

  private pipe(stream: NodeJS.ReadWriteStream): void {
    // The engine multiplexes stdout and stderr on one stream (8-byte frame headers) without a TTY.
    this.engine.modem.demuxStream(stream, this.stdout, this.stderr);
    stream.once("end", () => {
      this.stdout.end();
      this.stderr.end();
    });
    stream.on("error", (error: Error) => {
      this.log.debug("container stream error", { container: this.name, error: error.message });
    });
  }

  private async watchExit(container: Dockerode.Container): Promise<void> {
    let code: number | null = null;
    try {
      const result = (await container.wait()) as { StatusCode?: number };
      code = result.StatusCode ?? null;
    } catch (error) {
      this.log.debug("waiting for the container failed", { container: this.name, error: String(error) });
    }
    const signal = code === null ? null : (SIGNAL_EXITS[code] ?? null);
    this.emit("exit", signal === null ? code : null, signal);
    // The attach stream ends with the container; its last bytes are in stdout/stderr by now or soon.
    if (this.stdout.writableEnded) this.emit("close", code, signal);
    else this.stdout.once("end", () => this.emit("close", code, signal));
  }

  /** Stops the container (SIGTERM, then SIGKILL after `graceMs`) and removes it. Never rejects. */
  terminate(graceMs: number): Promise<void> {
    this.terminating ??= (async () => {
      this.stdin.end();
      await this.created;
      const container = this.container;
      if (container === undefined) return;
      try {
        await container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) });
      } catch (error) {
        // 304: already stopped; 404: already gone.
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== 304 && status !== 404) this.log.debug("stopping the container failed", { container: this.name, error: String(error) });
      }
      try {
        await container.remove({ force: true });
        this.log.debug("container removed", { container: this.name });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) this.log.warn("could not remove the container", { container: this.name, error: String(error) });
      }
    })();
    return this.terminating;
  }

  /** Env values never appear in messages, whether or not they look like secrets. */
  private mask(text: string): string {
    let masked = text;
    for (const value of Object.values(this.spec.env)) if (value.length >= 3) masked = masked.split(value).join("***");
    return masked;
  }
}
