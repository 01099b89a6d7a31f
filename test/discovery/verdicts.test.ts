import { describe, expect, it } from "vitest";
import type { DockerSourceSpec, KubernetesSourceSpec } from "../../src/config/types.js";
import { containerVerdict, labelFilters, type ContainerLike } from "../../src/discovery/docker.js";
import { podVerdict, type PodLike } from "../../src/discovery/kubernetes.js";

const common = { name: "x", mode: "authoritative" as const, graceS: 0, quarantine: false, maxProviders: 100 };
const kube: KubernetesSourceSpec = { ...common, id: "kubernetes:x", type: "kubernetes", namespaces: ["default"], labelSelector: undefined, kubeconfig: undefined, context: undefined };
const published: DockerSourceSpec = { ...common, id: "docker:x", type: "docker", socket: undefined, address: "published", publishedHost: "127.0.0.1", labels: [] };
const containerIp: DockerSourceSpec = { ...published, address: "container_ip" };

function pod(annotations: Record<string, string>, overrides: Partial<PodLike["status"]> = {}, namespace = "default"): PodLike {
  return {
    metadata: { name: "mcp-0", namespace, annotations },
    status: { phase: "Running", podIP: "10.0.0.7", conditions: [{ type: "Ready", status: "True" }], ...overrides },
  };
}

const ENABLED = { "mcp.hangar.io/enabled": "true", "mcp.hangar.io/port": "9000" };

describe("Kubernetes pods as providers", () => {
  it("a Running, Ready pod with an IP is a remote provider at its IP, port and path", () => {
    const verdict = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/name": "search", "mcp.hangar.io/path": "/rpc" }), kube, {});
    expect(verdict).toMatchObject({ kind: "provider", spec: { id: "search", mode: "remote", url: "http://10.0.0.7:9000/rpc" } });
  });

  it("is no provider before it is ready, without an IP, or without the annotation", () => {
    expect(podVerdict(pod(ENABLED, { phase: "Pending" }), kube, {}).kind).toBe("ignored");
    expect(podVerdict(pod(ENABLED, { conditions: [{ type: "Ready", status: "False" }] }), kube, {}).kind).toBe("ignored");
    expect(podVerdict(pod(ENABLED, { podIP: "" }), kube, {}).kind).toBe("ignored");
    expect(podVerdict(pod({ "mcp.hangar.io/port": "9000" }), kube, {}).kind).toBe("ignored");
  });

  it("kube-system is denied unless the source lists it", () => {
    expect(podVerdict(pod(ENABLED, {}, "kube-system"), kube, {}).kind).toBe("ignored");
    expect(podVerdict(pod(ENABLED, {}, "kube-system"), { ...kube, namespaces: ["kube-system"] }, {}).kind).toBe("provider");
  });

  it("rejects a pod without a port or with an invalid name, saying why", () => {
    expect(podVerdict(pod({ "mcp.hangar.io/enabled": "true" }), kube, {})).toMatchObject({ kind: "rejected", rejected: { item: "pod default/mcp-0" } });
    const invalid = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/name": "has__double" }), kube, {});
    expect(invalid.kind === "rejected" && invalid.rejected.message).toContain("must not contain '__'");
  });

  it("a ${VAR} in an annotation stays literal: cluster data never reads the hangar's environment", () => {
    const verdict = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/path": "/${SECRET}" }), kube, { SECRET: "hunter2" });
    expect(verdict).toMatchObject({ kind: "provider", spec: { url: "http://10.0.0.7:9000/${SECRET}" } });
  });
});

function container(labels: Record<string, string>, overrides: Partial<ContainerLike> = {}): ContainerLike {
  return {
    Id: "abcdef0123456789",
    Names: ["/weather-1"],
    Image: "example/weather:2",
    State: "running",
    Labels: { "mcp.hangar.enabled": "true", ...labels },
    Ports: [{ IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 49153, Type: "tcp" }],
    NetworkSettings: { Networks: { bridge: { IPAddress: "172.17.0.5" } } },
    ...overrides,
  };
}

describe("Docker containers as providers", () => {
  it("mode http: a remote provider at the published port, or at the container's IP", () => {
    const labels = { "mcp.hangar.name": "weather", "mcp.hangar.mode": "http", "mcp.hangar.port": "8080", "mcp.hangar.ttl": "60" };
    expect(containerVerdict(container(labels), published, {})).toMatchObject({
      kind: "provider",
      spec: { id: "weather", mode: "remote", url: "http://127.0.0.1:49153/mcp", idleTtlS: 60 },
    });
    expect(containerVerdict(container(labels), containerIp, {})).toMatchObject({ kind: "provider", spec: { url: "http://172.17.0.5:8080/mcp" } });
  });

  it("mode container: a new container from the same image, over stdio", () => {
    expect(containerVerdict(container({ "mcp.hangar.mode": "container" }), published, {})).toMatchObject({
      kind: "provider",
      spec: { id: "weather-1", mode: "container", image: "example/weather:2" },
    });
  });

  it("ignores stopped or unlabelled containers; rejects an unpublished port and a bad mode", () => {
    expect(containerVerdict(container({ "mcp.hangar.port": "8080" }, { State: "exited" }), published, {}).kind).toBe("ignored");
    expect(containerVerdict(container({ "mcp.hangar.enabled": "false", "mcp.hangar.port": "8080" }), published, {}).kind).toBe("ignored");
    const unpublished = containerVerdict(container({ "mcp.hangar.port": "8080" }, { Ports: [] }), published, {});
    expect(unpublished.kind === "rejected" && unpublished.rejected.message).toContain("port 8080 is not published");
    expect(containerVerdict(container({ "mcp.hangar.mode": "ftp" }), published, {}).kind).toBe("rejected");
  });

  it("labels scope the source: the engine's filter names them all, and a container missing one is ignored", () => {
    const scoped: DockerSourceSpec = { ...published, labels: [{ key: "team", value: "payments" }, { key: "hangar.scoped", value: undefined }] };
    expect(labelFilters(published)).toEqual(["mcp.hangar.enabled=true"]);
    expect(labelFilters(scoped)).toEqual(["mcp.hangar.enabled=true", "team=payments", "hangar.scoped"]);
    const base = { "mcp.hangar.port": "8080" };
    expect(containerVerdict(container({ ...base, team: "payments", "hangar.scoped": "" }), scoped, {}).kind).toBe("provider");
    expect(containerVerdict(container({ ...base, team: "payments", "hangar.scoped": "any" }), scoped, {}).kind).toBe("provider");
    expect(containerVerdict(container({ ...base, team: "search", "hangar.scoped": "" }), scoped, {}).kind).toBe("ignored");
    expect(containerVerdict(container({ ...base, team: "payments" }), scoped, {}).kind).toBe("ignored");
  });
});

describe("group labels and annotations", () => {
  it("mcp.hangar.group (and mcp.hangar.weight) make a container a group member", () => {
    const labels = { "mcp.hangar.port": "8080", "mcp.hangar.group": "weather", "mcp.hangar.weight": "3" };
    expect(containerVerdict(container(labels), published, {})).toMatchObject({ kind: "provider", spec: { group: { id: "weather", weight: 3, priority: 1 } } });
    const plain = containerVerdict(container({ "mcp.hangar.port": "8080", "mcp.hangar.group": "weather" }), published, {});
    expect(plain).toMatchObject({ kind: "provider", spec: { group: { id: "weather", weight: 1, priority: 1 } } });
  });

  it("mcp.hangar.io/group (and mcp.hangar.io/weight) make a pod a group member; a bad value is rejected, saying why", () => {
    const member = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/group": "search", "mcp.hangar.io/weight": "2" }), kube, {});
    expect(member).toMatchObject({ kind: "provider", spec: { group: { id: "search", weight: 2 } } });
    const bad = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/group": "search", "mcp.hangar.io/weight": "-1" }), kube, {});
    expect(bad).toMatchObject({ kind: "rejected", rejected: { message: expect.stringContaining("group.weight") as unknown } });
    const badId = podVerdict(pod({ ...ENABLED, "mcp.hangar.io/group": "a__b" }), kube, {});
    expect(badId).toMatchObject({ kind: "rejected" });
  });
});
