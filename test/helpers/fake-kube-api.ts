import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";

/**
 * A local HTTP server that speaks the Kubernetes API's pod list and watch wire format, since no
 * API server can run in this test environment. What it serves is what the real API sends:
 *
 * - `GET /api/v1/namespaces/<ns>/pods`: a `PodList` with `metadata.resourceVersion`;
 * - `?watch=true&resourceVersion=N`: a chunked stream of JSON lines `{"type":…,"object":…}`
 *   (ADDED, MODIFIED, DELETED, BOOKMARK) for every change after N;
 * - a watch from a resourceVersion older than the server keeps (`compact()`) gets an ERROR
 *   event with a 410 `Status` ("too old resource version", reason Expired) and the stream ends,
 *   as the real API does — the client must list again.
 *
 * Pod objects are shaped like the real API's (metadata with uid, resourceVersion and timestamps,
 * spec, status with phase, conditions, podIP).
 */
export interface FakePod {
  name: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  ready?: boolean;
  podIP?: string;
}

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

interface HistoryEntry {
  resourceVersion: number;
  type: WatchEventType;
  object: Record<string, unknown>;
}

interface Watcher {
  namespace: string;
  labelSelector: string | undefined;
  response: ServerResponse;
}

export class FakeKubeApi {
  private readonly server: Server;
  private resourceVersion = 1000;
  /** Changes are kept from here on; older resourceVersions get 410 Gone. */
  private oldestKept = 1000;
  private readonly pods = new Map<string, Record<string, unknown>>();
  private readonly history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private heldWatches: (() => void)[] | undefined;
  /** Requests seen, for tests that check the client listed again. */
  readonly requests: { list: number; watch: number; gone: number } = { list: 0, watch: 0, gone: 0 };

  constructor() {
    this.server = createServer((request, response) => {
      this.handle(request, response);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig pointing at this server, in the format kubectl writes. */
  kubeconfig(url: string): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake",
      "  cluster:",
      `    server: ${url}`,
      // The client refuses plain HTTP unless told TLS is not checked (the fake speaks no TLS).
      "    insecure-skip-tls-verify: true",
      "contexts:",
      "- name: fake",
      "  context:",
      "    cluster: fake",
      "    user: tester",
      "current-context: fake",
      "users:",
      "- name: tester",
      "  user:",
      "    token: fake-token",
      "",
    ].join("\n");
  }

  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }

  /** Creates or changes a pod; watchers get ADDED or MODIFIED. */
  apply(pod: FakePod): void {
    const key = `${pod.namespace ?? "default"}/${pod.name}`;
    const existing = this.pods.get(key);
    const object = podObject(pod, ++this.resourceVersion, existing);
    this.pods.set(key, object);
    this.record(existing === undefined ? "ADDED" : "MODIFIED", object);
  }

  delete(name: string, namespace = "default"): void {
    const key = `${namespace}/${name}`;
    const existing = this.pods.get(key);
    if (existing === undefined) return;
    this.pods.delete(key);
    const metadata = { ...(existing.metadata as Record<string, unknown>), resourceVersion: String(++this.resourceVersion), deletionTimestamp: new Date().toISOString() };
    this.record("DELETED", { ...existing, metadata });
  }

  /** Sends every watcher a BOOKMARK with the current resourceVersion. */
  bookmark(): void {
    for (const watcher of this.watchers) {
      writeEvent(watcher.response, "BOOKMARK", {
        kind: "Pod",
        apiVersion: "v1",
        metadata: { resourceVersion: String(this.resourceVersion), annotations: { "k8s.io/initial-events-end": "true" } },
      });
    }
  }

  /**
   * Forgets the change history (as etcd compaction does) and ends every watch: clients that
   * watch again from their last resourceVersion get 410 Gone and must list again.
   */
  compactAndDropWatches(): void {
    this.oldestKept = ++this.resourceVersion;
    this.history.length = 0;
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
  }

  /**
   * Watch requests get no answer until releaseWatches(): a client stays between its list and
   * its watch, as it does for a moment on a real API server (longer on a loaded machine).
   */
  holdWatches(): void {
    this.heldWatches ??= [];
  }

  releaseWatches(): void {
    const held = this.heldWatches ?? [];
    this.heldWatches = undefined;
    for (const serve of held) serve();
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  private record(type: WatchEventType, object: Record<string, unknown>): void {
    const resourceVersion = Number((object.metadata as { resourceVersion: string }).resourceVersion);
    this.history.push({ resourceVersion, type, object });
    const namespace = (object.metadata as { namespace: string }).namespace;
    for (const watcher of this.watchers) {
      if (watcher.namespace === namespace && matches(object, watcher.labelSelector)) writeEvent(watcher.response, type, object);
    }
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://localhost");
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(url.pathname);
    if (request.method !== "GET" || match === null) {
      sendJson(response, 404, status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`));
      return;
    }
    if (request.headers.authorization !== "Bearer fake-token") {
      sendJson(response, 401, status(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const namespace = decodeURIComponent(match[1] ?? "");
    const labelSelector = url.searchParams.get("labelSelector") ?? undefined;
    if (url.searchParams.get("watch") !== "true") {
      this.requests.list += 1;
      const items = [...this.pods.values()].filter(
        (pod) => (pod.metadata as { namespace: string }).namespace === namespace && matches(pod, labelSelector),
      );
      sendJson(response, 200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: String(this.resourceVersion) }, items });
      return;
    }
    this.requests.watch += 1;
    if (this.heldWatches !== undefined) {
      this.heldWatches.push(() => {
        this.serveWatch(request, response, url, namespace, labelSelector);
      });
      return;
    }
    this.serveWatch(request, response, url, namespace, labelSelector);
  }

  private serveWatch(request: IncomingMessage, response: ServerResponse, url: URL, namespace: string, labelSelector: string | undefined): void {
    response.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
    response.flushHeaders();
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    if (from < this.oldestKept) {
      this.requests.gone += 1;
      writeEvent(response, "ERROR", status(410, "Expired", `too old resource version: ${from} (${this.oldestKept})`));
      response.end();
      return;
    }
    for (const entry of this.history) {
      const entryNamespace = (entry.object.metadata as { namespace: string }).namespace;
      if (entry.resourceVersion > from && entryNamespace === namespace && matches(entry.object, labelSelector)) {
        writeEvent(response, entry.type, entry.object);
      }
    }
    const watcher: Watcher = { namespace, labelSelector, response };
    this.watchers.add(watcher);
    request.on("close", () => this.watchers.delete(watcher));
  }
}

function podObject(pod: FakePod, resourceVersion: number, existing: Record<string, unknown> | undefined): Record<string, unknown> {
  const namespace = pod.namespace ?? "default";
  const previous = existing?.metadata as { uid?: string; creationTimestamp?: string } | undefined;
  const now = new Date().toISOString();
  const running = pod.phase === "Running";
  const ready = running && pod.ready === true;
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name: pod.name,
      namespace,
      uid: previous?.uid ?? randomUUID(),
      resourceVersion: String(resourceVersion),
      creationTimestamp: previous?.creationTimestamp ?? now,
      labels: pod.labels ?? {},
      annotations: pod.annotations ?? {},
    },
    spec: {
      containers: [{ name: "mcp", image: "example/mcp:1", ports: [{ containerPort: 8080, protocol: "TCP" }] }],
      restartPolicy: "Always",
      nodeName: "node-1",
    },
    status: {
      phase: pod.phase ?? "Pending",
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: now },
        { type: "Initialized", status: "True", lastTransitionTime: now },
        { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: now },
        { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now },
      ],
      hostIP: "10.0.0.1",
      ...(pod.podIP === undefined ? {} : { podIP: pod.podIP, podIPs: [{ ip: pod.podIP }] }),
      startTime: now,
      containerStatuses: [{ name: "mcp", ready, restartCount: 0, image: "example/mcp:1", imageID: "", started: running }],
    },
  };
}

/** `a=b,c=d` selectors only: what the tests use. */
function matches(object: Record<string, unknown>, selector: string | undefined): boolean {
  if (selector === undefined || selector === "") return true;
  const labels = ((object.metadata as { labels?: Record<string, string> }).labels ?? {});
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return key !== undefined && labels[key.trim()] === value?.trim();
  });
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
}

function writeEvent(response: ServerResponse, type: string, object: Record<string, unknown>): void {
  response.write(`${JSON.stringify({ type, object })}\n`);
}

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}
