import type Docker from "dockerode";
import { fromCallback } from "xstate";
import type { DockerSourceSpec, ProviderSpec } from "../config/types.js";
import { containerVerdict, labelFilters, type ContainerLike } from "../discovery/docker.js";
import type { RejectedItem, SourceBody, SourceCommand, SourceInput, SourceReportEvent, SourceScan } from "../discovery/source-protocol.js";
import { backoffDelayMs } from "../machines/sagas/backoff.js";
import { dockerode, engineFromEnv } from "./container-engine.js";

/**
 * `discovery:docker:<name>`: driven by the engine's events stream (container start, die,
 * destroy of labelled containers); each event triggers a resync from the container list, and so
 * does the start and every reconnect after the stream drops — a list is the truth, events only
 * say when to read it. While the engine cannot be reached the source reports the error and keeps
 * its last good set, and tries again after a growing delay (1 s doubling to 30 s, ±20 % jitter;
 * back to 1 s once a stream is open), so an engine that is down is not hammered.
 */
export const RECONNECT_BACKOFF = { initialDelayS: 1, multiplier: 2, maxDelayS: 30 } as const;
const DEBOUNCE_MS = 50;
/** A list the engine does not answer within this is a failed scan (the next event or reconnect lists again). */
const LIST_TIMEOUT_MS = 10_000;
const EVENTS = ["start", "die", "destroy", "stop", "kill", "pause", "unpause"];

/** The source's `socket`, else the engine DOCKER_HOST names (unix:// or tcp://), else /var/run/docker.sock. */
export function dockerClient(source: DockerSourceSpec): Docker {
  if (source.socket !== undefined) return new (dockerode())({ socketPath: source.socket });
  return engineFromEnv();
}

export const dockerSourceBody: SourceBody = ({ input, sendBack, receive }) => {
  const source = input.source as DockerSourceSpec;
  const docker = dockerClient(source);
  // Filtered by the engine, on the list and the events stream alike: another hangar's containers
  // on a shared engine neither enter a scan nor wake the source.
  const filters = { label: labelFilters(source) };
  let stream: NodeJS.ReadableStream | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let streamError: string | undefined;
  /** Failed connects and drops since a stream last opened: the next delay grows with it. */
  let attempts = 0;
  let stopped = false;
  const isStopped = (): boolean => stopped;

  const scan = async (): Promise<SourceScan> => {
    let containers: ContainerLike[];
    try {
      containers = await docker.listContainers({ filters, abortSignal: AbortSignal.timeout(LIST_TIMEOUT_MS) });
    } catch (error) {
      const listError = `cannot list containers: ${String(error)}`;
      return { specs: undefined, error: streamError === undefined ? listError : `${streamError}\n${listError}`, rejected: [] };
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
  let reporting: Promise<void> = Promise.resolve();
  /** One scan at a time, reported in order: a slow list never lands after a newer one. */
  const report = (syncId?: number): Promise<void> => {
    reporting = reporting.then(async () => {
      const result = await scan();
      if (stopped) return;
      sendBack({ type: "SOURCE.REPORT", sourceId: source.id, scan: result, ...(syncId === undefined ? {} : { syncId }) } satisfies SourceReportEvent);
    });
    return reporting;
  };
  const scheduleResync = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void report(), DEBOUNCE_MS);
  };

  const retryLater = (): void => {
    if (stopped) return;
    reconnect = setTimeout(() => void connect(), backoffDelayMs(RECONNECT_BACKOFF, attempts, Math.random()));
    attempts += 1;
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
      attempts = 0;
      events.on("data", scheduleResync);
      const dropped = (why: string) => (): void => {
        if (stream !== events || stopped) return;
        stream = undefined;
        streamError = `the engine's events stream ${why}; reconnecting`;
        void report();
        retryLater();
      };
      events.on("end", dropped("ended"));
      events.on("error", dropped("failed"));
      events.on("close", dropped("closed"));
      // A full resync once the stream is up: nothing that happened before it is missed.
      await report();
    } catch (error) {
      streamError = `cannot reach the engine's events stream: ${String(error)}`;
      // Scheduled first: a list that hangs must not stop the retries.
      retryLater();
      await report();
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
};

export const dockerSource = fromCallback<SourceCommand, SourceInput>(dockerSourceBody);
