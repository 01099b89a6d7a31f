import type { Informer, KubeConfig, ObjectCache, V1Pod } from "@kubernetes/client-node";
import type { KubernetesSourceSpec, ProviderSpec } from "../config/types.js";
import { podVerdict } from "../discovery/kubernetes.js";
import { fromCallback } from "xstate";
import type { RejectedItem, SourceCommand, SourceInput, SourceReportEvent, SourceScan } from "../discovery/source-protocol.js";
import { deferredBody } from "./deferred-callback.js";
import { failingSource } from "./failing-source.js";

/**
 * `discovery:kubernetes:<name>`: one list+watch informer per namespace (@kubernetes/client-node).
 * The informer lists with a resourceVersion, then watches from it (JSON lines); a 410 Gone makes
 * it list again. Every change is reported as a full scan of the informers' caches, so a missed
 * event can never leave a stale provider behind. A watch that fails is restarted after a pause,
 * and meanwhile the source reports the error and keeps its last good set. The client library is
 * imported when the first such source starts (see deferred-callback.ts).
 */
const RESTART_DELAY_MS = 2_000;
const DEBOUNCE_MS = 50;

type PodInformer = Informer<V1Pod> & ObjectCache<V1Pod>;
type KubernetesClient = typeof import("@kubernetes/client-node");

export function kubeConfigFor(k8s: KubernetesClient, source: KubernetesSourceSpec): KubeConfig {
  const config = new k8s.KubeConfig();
  if (source.kubeconfig !== undefined) config.loadFromFile(source.kubeconfig);
  else config.loadFromDefault(); // in-cluster (service account) when there, else ~/.kube/config or KUBECONFIG
  if (source.context !== undefined) config.setCurrentContext(source.context);
  return config;
}

export const kubernetesSourceBody = deferredBody<KubernetesClient, SourceCommand, SourceInput>(
  () => import("@kubernetes/client-node"),
  (k8s, { input, sendBack, receive }) => {
    const source = input.source as KubernetesSourceSpec;
    const errors = new Map<string, string>();
    const informers: { namespace: string; informer: PodInformer; synced: boolean }[] = [];
    const timers = new Set<NodeJS.Timeout>();
    let debounce: NodeJS.Timeout | undefined;
    let stopped = false;

    const scan = (): SourceScan => {
      const specs: ProviderSpec[] = [];
      const rejected: RejectedItem[] = [];
      for (const { informer } of informers) {
        for (const pod of informer.list()) {
          const verdict = podVerdict(pod, source, input.env);
          if (verdict.kind === "provider") specs.push(verdict.spec);
          else if (verdict.kind === "rejected") rejected.push(verdict.rejected);
        }
      }
      const failing = [...errors.values()];
      // Until every namespace has been listed once, what the caches hold is not the whole truth.
      const complete = informers.every((entry) => entry.synced);
      const error = [...failing, ...rejected.map((item) => item.message)].join("\n");
      return { specs: complete ? specs : undefined, rejected, ...(error === "" ? {} : { error }) };
    };
    const report = (syncId?: number): void => {
      if (stopped) return;
      sendBack({ type: "SOURCE.REPORT", sourceId: source.id, scan: scan(), ...(syncId === undefined ? {} : { syncId }) } satisfies SourceReportEvent);
    };
    const scheduleReport = (): void => {
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        report();
      }, DEBOUNCE_MS);
    };

    let config: KubeConfig;
    try {
      config = kubeConfigFor(k8s, source);
    } catch (error) {
      return failingSource(`kubeconfig: ${String(error)}`, { input, sendBack, receive });
    }
    const api = config.makeApiClient(k8s.CoreV1Api);
    for (const namespace of source.namespaces) {
      const labelSelector = source.labelSelector;
      const informer = k8s.makeInformer<V1Pod>(
        config,
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        () => api.listNamespacedPod({ namespace, ...(labelSelector === undefined ? {} : { labelSelector }) }),
        labelSelector,
      );
      const entry = { namespace, informer, synced: false };
      informers.push(entry);
      informer.on("change", scheduleReport);
      informer.on("connect", () => {
        // (Re)connected: a list follows when needed; the error, if any, is over.
        errors.delete(namespace);
      });
      informer.on("error", (error: unknown) => {
        errors.set(namespace, `namespace ${namespace}: ${describe(error)}`);
        report();
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!stopped) void informer.start().then(markSynced(entry), () => undefined);
        }, RESTART_DELAY_MS);
        timers.add(timer);
      });
      void informer.start().then(markSynced(entry), () => undefined);
    }

    /** After start(): listed (unless the list failed, which the error handler has recorded). */
    function markSynced(entry: { namespace: string; synced: boolean }) {
      return (): void => {
        if (!errors.has(entry.namespace)) entry.synced = true;
        scheduleReport();
      };
    }

    receive((event) => {
      report(event.syncId);
    });
    return () => {
      stopped = true;
      clearTimeout(debounce);
      for (const timer of timers) clearTimeout(timer);
      for (const { informer } of informers) void informer.stop();
    };
  },
  (error, params) => failingSource(`cannot load the Kubernetes client: ${String(error)}`, params),
);

export const kubernetesSource = fromCallback(kubernetesSourceBody);

function describe(error: unknown): string {
  if (error instanceof Error) {
    const status = (error as { statusCode?: number; code?: number | string }).statusCode ?? (error as { code?: number | string }).code;
    return status === undefined ? error.message : `${error.message} (${String(status)})`;
  }
  return String(error);
}
