import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { ContainerProviderSpec, HangarConfig, RemoteProviderSpec } from "../../src/config/types.js";
import { sensitiveMountReason } from "../../src/config/volume-checks.js";
import { redactor } from "../../src/shared/redaction.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

const dir = mkdtempSync(join(tmpdir(), "hangar-modes-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const problems = (text: string, env: NodeJS.ProcessEnv = {}): string[] => configProblems(text, "hangar.yaml", env);

function only<M extends "container" | "remote">(config: HangarConfig, mode: M): M extends "container" ? ContainerProviderSpec : RemoteProviderSpec {
  const provider = config.providers[0];
  if (provider?.mode !== mode) throw new Error(`expected a ${mode} provider`);
  return provider as M extends "container" ? ContainerProviderSpec : RemoteProviderSpec;
}

describe("remote providers in the config", () => {
  it("reads url, transport and headers, and registers header values as secrets", () => {
    const config = parseConfig(
      yaml("providers:", "  weather:", "    mode: remote", "    url: https://mcp.example.com/mcp", "    transport: sse", '    headers: { Authorization: "Bearer ${TOKEN}" }'),
      "hangar.yaml",
      { TOKEN: "abc" },
    );
    const spec = only(config, "remote");
    expect(spec).toMatchObject({ mode: "remote", url: "https://mcp.example.com/mcp", transport: "sse", headers: { Authorization: "Bearer abc" } });
    expect(redactor.redact("sent Bearer abc")).not.toContain("Bearer abc");
  });

  it("defaults the transport to trying streamable HTTP, then SSE", () => {
    const spec = only(parseConfig(yaml("providers:", "  r: { mode: remote, url: 'http://127.0.0.1:9/mcp' }"), "h.yaml", {}), "remote");
    expect(spec.transport).toBeUndefined();
    expect(spec.headers).toEqual({});
  });

  it("wants a URL, refuses other schemes, and refuses keys of other modes", () => {
    expect(problems(yaml("providers:", "  a:", "    mode: remote", "  b:", "    mode: remote", "    url: ftp://x", "    command: [node]", "    image: x"))).toEqual([
      "hangar.yaml:3:5: providers.a: missing required key 'url'",
      "hangar.yaml:6:10: providers.b.url: must be an http:// or https:// URL (https://mcp.example.com/mcp)",
      "hangar.yaml:7:5: providers.b: 'command' applies to mode: subprocess or mode: container only; this provider has mode: remote",
      "hangar.yaml:8:5: providers.b: 'image' applies to mode: container only; this provider has mode: remote",
    ]);
  });

  it("refuses remote keys on a subprocess provider", () => {
    expect(problems(yaml("providers:", "  a:", "    command: [node]", "    url: http://x"))).toEqual([
      "hangar.yaml:4:5: providers.a: 'url' applies to mode: remote only; this provider has mode: subprocess",
    ]);
  });
});

describe("container providers in the config", () => {
  it("takes docker as an alias, and applies the strict isolation defaults", () => {
    const spec = only(parseConfig(yaml("providers:", "  db:", "    mode: docker", "    image: mcp/sqlite:latest"), join(dir, "h.yaml"), {}), "container");
    expect(spec).toMatchObject({
      mode: "container",
      image: "mcp/sqlite:latest",
      command: [],
      entrypoint: undefined,
      volumes: [],
      user: undefined,
      isolation: { network: "none", readOnly: true, capAdd: [], allowSensitiveMounts: false, memoryBytes: 512 * 1024 * 1024, cpus: 1, pids: 256 },
    });
  });

  it("reads the issue's example: args, volumes resolved against the config file, env, limits, user", () => {
    const config = parseConfig(
      yaml(
        "providers:",
        "  sqlite:",
        "    mode: container",
        "    image: mcp/sqlite:latest",
        "    command: [--db-path, /data/db.sqlite]",
        '    volumes: ["./data:/data:rw", "${HOME}/cache:/cache:ro", "named:/named"]',
        "    env: { LOG_LEVEL: info }",
        "    network: none",
        "    read_only: true",
        '    resources: { memory: 512m, cpu: "1.5", pids: 128 }',
        '    user: "1000:1000"',
      ),
      join(dir, "hangar.yaml"),
      { HOME: "/home/someone" },
    );
    const spec = only(config, "container");
    expect(spec.command).toEqual(["--db-path", "/data/db.sqlite"]);
    expect(spec.volumes).toEqual([
      { source: join(dir, "data"), named: false, target: "/data", readOnly: false },
      { source: "/home/someone/cache", named: false, target: "/cache", readOnly: true },
      { source: "named", named: true, target: "/named", readOnly: false },
    ]);
    expect(spec.env).toEqual({ LOG_LEVEL: "info" });
    expect(spec.user).toBe("1000:1000");
    expect(spec.isolation).toMatchObject({ memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 128 });
  });

  it("refuses sensitive mounts with their position, unless allow_sensitive_mounts is set", () => {
    expect(
      problems(yaml("providers:", "  c:", "    mode: container", "    image: x", '    volumes: ["/:/host", "/etc/passwd:/p:ro", "/var/run/docker.sock:/s", "../../../../../../../proc:/p2"]'), {}),
    ).toEqual([
      "hangar.yaml:5:15: providers.c.volumes[0]: mounting / is refused: it is the host's whole filesystem; set allow_sensitive_mounts: true if the provider really needs it",
      "hangar.yaml:5:26: providers.c.volumes[1]: mounting /etc/passwd is refused: it is inside /etc, which belongs to the host; set allow_sensitive_mounts: true if the provider really needs it",
      "hangar.yaml:5:47: providers.c.volumes[2]: mounting /var/run/docker.sock is refused: it is a container engine's socket, which gives control of the host; set allow_sensitive_mounts: true if the provider really needs it",
      "hangar.yaml:5:74: providers.c.volumes[3]: mounting /proc is refused: it is /proc, which belongs to the host; set allow_sensitive_mounts: true if the provider really needs it",
    ]);
    const allowed = parseConfig(
      yaml("providers:", "  c:", "    mode: container", "    image: x", '    volumes: ["/etc:/host-etc:ro"]', "    allow_sensitive_mounts: true"),
      "h.yaml",
      {},
    );
    expect(only(allowed, "container").isolation.allowSensitiveMounts).toBe(true);
  });

  it("refuses a folder that holds the engine socket, and leaves ordinary folders alone", () => {
    expect(sensitiveMountReason("/var/run")).toMatch(/engine's socket/);
    expect(sensitiveMountReason("/run", "/run/user/1000/docker.sock")).toMatch(/engine's socket/);
    expect(sensitiveMountReason("/home/someone/data")).toBeUndefined();
    expect(sensitiveMountReason("/etcetera")).toBeUndefined();
  });

  it("explains bad volumes, sizes, users and missing images", () => {
    expect(
      problems(yaml("providers:", "  c:", "    mode: container", '    volumes: ["data", "/a:relative"]', "    resources: { memory: 1x, pids: 2 }", "    user: 'a b'")),
    ).toEqual([
      "hangar.yaml:3:5: providers.c: missing required key 'image'",
      "hangar.yaml:4:15: providers.c.volumes[0]: write a volume as host-path:/container/path with an optional :ro or :rw (./data:/data:ro)",
      "hangar.yaml:4:23: providers.c.volumes[1]: write a volume as host-path:/container/path with an optional :ro or :rw (./data:/data:ro)",
      "hangar.yaml:5:26: providers.c.resources.memory: '1x' is not a size; write 512m, 1g or a whole number of bytes or a size like 16MiB, 512KiB or 1MB (KB/MB/GB = 1000-based, KiB/MiB/GiB = 1024-based)",
      "hangar.yaml:5:36: providers.c.resources.pids: must be at least 8",
      "hangar.yaml:6:11: providers.c.user: write a user as name, uid or uid:gid (1000:1000)",
    ]);
  });
});
