import type Docker from "dockerode";
import { fromCallback } from "xstate";
import type { DockerSourceSpec, ProviderSpec } from "../config/types.js";
import { containerVerdict, LABEL, type ContainerLike } from "../discovery/docker.js";
import { dockerode } from "./container-engine.js";
import type { RejectedItem, SourceCommand, SourceInput, SourceReportEvent, SourceScan } from "../discovery/source-protocol.js";

/**
 * `discovery:docker:<name>`: driven by the engine's events stream (container start, die,
 * destroy of labelled containers); each event triggers a resync from the container list, and so
 * does the start and every reconnect after the stream drops — a list is the truth, events only
 * say when to read it. While the engine cannot be reached the source reports the error and keeps
 * its last good set.
 */
const RECONNECT_DELAY_MS = 1_000;
const DEBOUNCE_MS = 50;
const EVENTS = ["start", "die", "destroy", "stop", "kill", "pause", "unpause"];

export function dockerClient(source: DockerSourceSpec): Docker {
  const Engine = dockerode();
  if (source.socket !== undefined) return new Engine({ socketPath: source.socket });
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith("unix://") === true) return new Engine({ socketPath: host.slice("unix://".length) });
  return new Engine({ socketPath: "/var/run/docker.sock" });
}

export const dockerSource = fromCallback<SourceCommand, SourceInput>(({ input, sendBack, receive }) => {
  const source = input.source as DockerSourceSpec;
  const docker = dockerClient(source);
  const filters = { label: [`${LABEL.enabled}=true`] };
  let stream: NodeJS.ReadableStream | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let streamError: string | undefined;
  let stopped = false;
  const isStopped = (): boolean => stopped;

  const scan = async (): Promise<SourceScan> => {
    let containers: ContainerLike[];
    try {
      containers = (await docker.listContainers({ filters }));
    } catch (error) {
      return { specs: undefined, error: `cannot list containers: ${String(error)}`, rejected: [] };
    }
    const specs: ProviderSpec[] = [];
    const rejected: RejectedItem[] = [];
    for (const container of containers) {
      const verdict = containerVerdict(container, source, input.env);
      if (verdict.kind === "provider") specs.push(verdict.spec);
      else if (verdict.kind === "rejected") rejected.push(verdict.rejected);
    }
    const error = [...(streamError === undefined ? [] : [streamError]), ...rejected.map((item) => item.message)].join("\n");
    return { specs, rejected, ...(error === "" ? {} : { error }) };
  };
  const report = async (syncId?: number): Promise<void> => {
    const result = await scan();
    if (stopped) return;
    sendBack({ type: "SOURCE.REPORT", sourceId: source.id, scan: result, ...(syncId === undefined ? {} : { syncId }) } satisfies SourceReportEvent);
  };
  const scheduleResync = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void report(), DEBOUNCE_MS);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    try {
      const events = await docker.getEvents({ filters: { type: ["container"], event: EVENTS, ...filters } });
      // Stopped while connecting: the stream is nobody's.
      if (isStopped()) {
        (events as unknown as { destroy?: () => void }).destroy?.();
        return;
      }
      stream = events;
      streamError = undefined;
      events.on("data", scheduleResync);
      const dropped = (why: string) => (): void => {
        if (stream !== events || stopped) return;
        stream = undefined;
        streamError = `the engine's events stream ${why}; reconnecting`;
        void report();
        reconnect = setTimeout(() => void connect(), RECONNECT_DELAY_MS);
      };
      events.on("end", dropped("ended"));
      events.on("error", dropped("failed"));
      events.on("close", dropped("closed"));
      // A full resync once the stream is up: nothing that happened before it is missed.
      await report();
    } catch (error) {
      streamError = `cannot reach the engine's events stream: ${String(error)}`;
      await report();
      reconnect = setTimeout(() => void connect(), RECONNECT_DELAY_MS);
    }
  };

  void connect();
  receive((event) => {
    void report(event.syncId);
  });
  return () => {
    stopped = true;
    clearTimeout(reconnect);
    clearTimeout(debounce);
    (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  };
});
