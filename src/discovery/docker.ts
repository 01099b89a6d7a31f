import type { DockerSourceSpec } from "../config/types.js";
import { discoveredSpec, groupField, type Verdict } from "./discovered-spec.js";

/**
 * The Docker source's logic: which containers are providers, and their specs. A container
 * labelled `mcp.hangar.enabled=true` is one, named by `mcp.hangar.name` (else the container's
 * name): `mcp.hangar.mode=http` → a remote provider at the container's address and
 * `mcp.hangar.port`/`mcp.hangar.path`; `mcp.hangar.mode=container` → a new container from the
 * same image over stdio. `mcp.hangar.ttl` sets idle_ttl_s; `mcp.hangar.group` (with
 * `mcp.hangar.weight`) makes it a member of that group (an auto group when none is configured).
 */
export const LABEL = {
  enabled: "mcp.hangar.enabled",
  name: "mcp.hangar.name",
  mode: "mcp.hangar.mode",
  port: "mcp.hangar.port",
  path: "mcp.hangar.path",
  group: "mcp.hangar.group",
  weight: "mcp.hangar.weight",
  ttl: "mcp.hangar.ttl",
} as const;

/** The parts of the engine's container list entry this source reads. */
export interface ContainerLike {
  Id: string;
  Names?: string[];
  Image: string;
  State?: string;
  Labels?: Record<string, string>;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type?: string }[];
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/**
 * The engine's `label` filter for this source's list and events stream: the enabled label and
 * the source's own `labels`, all of which a container must carry (`key` alone: present, any value).
 */
export function labelFilters(source: DockerSourceSpec): string[] {
  return [`${LABEL.enabled}=true`, ...source.labels.map(({ key, value }) => (value === undefined ? key : `${key}=${value}`))];
}

/** Whether the container carries every label the source is scoped to (the engine filters too; this keeps the verdict true on its own). */
function inScope(labels: Record<string, string>, source: DockerSourceSpec): boolean {
  return source.labels.every(({ key, value }) => labels[key] !== undefined && (value === undefined || labels[key] === value));
}

export function containerVerdict(container: ContainerLike, source: DockerSourceSpec, env: NodeJS.ProcessEnv): Verdict {
  const labels = container.Labels ?? {};
  if (labels[LABEL.enabled] !== "true" || container.State !== "running" || !inScope(labels, source)) return { kind: "ignored" };
  const containerName = (container.Names?.[0] ?? container.Id.slice(0, 12)).replace(/^\//, "");
  const item = `container ${containerName}`;
  const id = labels[LABEL.name] ?? containerName;
  const group = labels[LABEL.group];
  const description = `Docker container ${containerName}${group === undefined ? "" : ` (group ${group})`}`;
  const ttl = labels[LABEL.ttl];
  const common = { description, ...(ttl === undefined ? {} : { idle_ttl_s: ttl }), ...groupField(group, labels[LABEL.weight]) };
  const mode = labels[LABEL.mode] ?? "http";
  if (mode === "container") return discoveredSpec(id, { mode: "container", image: container.Image, ...common }, item, env);
  if (mode !== "http") return rejected(item, `label ${LABEL.mode} must be http or container, got ${mode}`);
  const port = Number(labels[LABEL.port]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    return rejected(item, `label ${LABEL.port} must be the port the MCP server listens on, got ${labels[LABEL.port] ?? "nothing"}`);
  }
  const address = addressOf(container, port, source);
  if (typeof address !== "string") return rejected(item, address.problem);
  const path = labels[LABEL.path] ?? "/mcp";
  return discoveredSpec(id, { mode: "remote", url: `http://${address}${path.startsWith("/") ? path : `/${path}`}`, ...common }, item, env);
}

/** host:port the hangar reaches the server at: the container's IP, or the port it publishes. */
function addressOf(container: ContainerLike, port: number, source: DockerSourceSpec): string | { problem: string } {
  if (source.address === "published") {
    const published = container.Ports?.find((entry) => entry.PrivatePort === port && entry.PublicPort !== undefined && entry.Type !== "udp");
    if (published?.PublicPort === undefined) return { problem: `port ${port} is not published (address: published needs -p …:${port})` };
    return `${hostOf(source.publishedHost)}:${published.PublicPort}`;
  }
  const ip = Object.values(container.NetworkSettings?.Networks ?? {}).find((network) => (network.IPAddress ?? "") !== "")?.IPAddress;
  if (ip === undefined) return { problem: "the container has no IP address on any network (address: container_ip)" };
  return `${hostOf(ip)}:${port}`;
}

function hostOf(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function rejected(item: string, message: string): Verdict {
  return { kind: "rejected", rejected: { item, message: `${item}: ${message}` } };
}
