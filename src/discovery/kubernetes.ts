import type { KubernetesSourceSpec } from "../config/types.js";
import { discoveredSpec, groupField, type Verdict } from "./discovered-spec.js";

/**
 * The Kubernetes source's logic: which pods are providers, and their specs. A pod annotated
 * `mcp.hangar.io/enabled: "true"` becomes a `mode: remote` provider at
 * `http://<pod IP>:<mcp.hangar.io/port><mcp.hangar.io/path>` once it is Running, Ready and has
 * an IP; before that (and after) it is no provider at all. `mcp.hangar.io/group` (with
 * `mcp.hangar.io/weight`) makes it a member of that group (an auto group when none is configured).
 */
export const ANNOTATION = {
  enabled: "mcp.hangar.io/enabled",
  name: "mcp.hangar.io/name",
  port: "mcp.hangar.io/port",
  path: "mcp.hangar.io/path",
  group: "mcp.hangar.io/group",
  weight: "mcp.hangar.io/weight",
} as const;

/** The namespace only reached when a source lists it by name. */
export const DENIED_NAMESPACE = "kube-system";

/** The parts of a pod (as the API returns it) this source reads. */
export interface PodLike {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

export function podVerdict(pod: PodLike, source: KubernetesSourceSpec, env: NodeJS.ProcessEnv): Verdict {
  const annotations = pod.metadata?.annotations ?? {};
  const namespace = pod.metadata?.namespace ?? "default";
  const podName = pod.metadata?.name ?? "?";
  if (annotations[ANNOTATION.enabled] !== "true") return { kind: "ignored" };
  if (namespace === DENIED_NAMESPACE && !source.namespaces.includes(DENIED_NAMESPACE)) return { kind: "ignored" };
  if (!isServing(pod)) return { kind: "ignored" };
  const item = `pod ${namespace}/${podName}`;
  const port = annotations[ANNOTATION.port];
  if (port === undefined || !/^\d{1,5}$/.test(port)) {
    return { kind: "rejected", rejected: { item, message: `${item}: annotation ${ANNOTATION.port} must be a port number, got ${port ?? "nothing"}` } };
  }
  const id = annotations[ANNOTATION.name] ?? podName;
  const path = annotations[ANNOTATION.path] ?? "/mcp";
  const url = `http://${formatHost(pod.status?.podIP ?? "")}:${port}${path.startsWith("/") ? path : `/${path}`}`;
  const group = annotations[ANNOTATION.group];
  const description = `Kubernetes pod ${namespace}/${podName}${group === undefined ? "" : ` (group ${group})`}`;
  return discoveredSpec(id, { mode: "remote", url, description, ...groupField(group, annotations[ANNOTATION.weight]) }, item, env);
}

/** Running, Ready, with an IP: only then is anything listening. */
export function isServing(pod: PodLike): boolean {
  const status = pod.status;
  if (status?.phase !== "Running" || status.podIP === undefined || status.podIP === "") return false;
  return status.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") === true;
}

function formatHost(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}
