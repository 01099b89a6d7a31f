import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { containerCreateOptions } from "../../src/actors/container-create-options.js";
import { ownIdentity, ownerLabels, ownerStatus } from "../../src/actors/container-labels.js";
import { processStartTime } from "../../src/actors/process-table.js";
import type { ContainerProviderSpec } from "../../src/config/types.js";
import { testCommonSpec } from "../helpers/specs.js";

describe("container ownership labels", () => {
  const me = ownIdentity();

  it("knows its own containers, a live neighbour's, and a dead hangar's", async () => {
    expect(ownerStatus(ownerLabels("p"))).toBe("self");
    const neighbour = { ...me, id: "neighbour", pid: process.ppid, startTime: processStartTime(process.ppid) ?? "" };
    expect(ownerStatus(ownerLabels("p", neighbour))).toBe("alive");

    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const pid = child.pid ?? 0;
    await once(child, "exit");
    expect(ownerStatus(ownerLabels("p", { ...me, id: "gone", pid, startTime: "1" }))).toBe("dead");
  });

  it("calls a reused pid (another start time) and an earlier boot dead, and leaves other hosts alone", () => {
    expect(ownerStatus(ownerLabels("p", { ...me, id: "reused", pid: process.ppid, startTime: "1" }))).toBe("dead");
    expect(ownerStatus(ownerLabels("p", { ...me, id: "old-boot", boot: "another-boot" }))).toBe("dead");
    expect(ownerStatus(ownerLabels("p", { ...me, id: "elsewhere", host: "another-host" }))).toBe("unknown");
  });
});

describe("container create options", () => {
  const spec: ContainerProviderSpec = {
    ...testCommonSpec(),
    mode: "container",
    image: "img:1",
    command: [],
    entrypoint: undefined,
    env: { API_TOKEN: "t0ps3cret" },
    volumes: [{ source: "/srv/data", named: false, target: "/data", readOnly: true }],
    user: undefined,
    isolation: { network: "none", readOnly: true, capAdd: [], allowSensitiveMounts: false, memoryBytes: 512 * 1024 * 1024, cpus: 1.5, pids: 256 },
  };

  it("isolates by default: no network, read-only root with a tmpfs, no capabilities, no-new-privileges, limits, stdin attached", () => {
    const options = containerCreateOptions(spec, "name", { a: "b" });
    expect(options).toMatchObject({
      Image: "img:1",
      Env: ["API_TOKEN=t0ps3cret"],
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      NetworkDisabled: true,
      Labels: { a: "b" },
      HostConfig: {
        NetworkMode: "none",
        ReadonlyRootfs: true,
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Privileged: false,
        Memory: 512 * 1024 * 1024,
        MemorySwap: 512 * 1024 * 1024,
        NanoCpus: 1_500_000_000,
        PidsLimit: 256,
        Binds: ["/srv/data:/data:ro"],
      },
    });
    expect(options.HostConfig?.Tmpfs).toHaveProperty("/tmp");
    expect(options.Cmd).toBeUndefined();
    expect(options.HostConfig?.CapAdd).toBeUndefined();
  });

  it("loosens only what the spec asks for", () => {
    const options = containerCreateOptions({ ...spec, command: ["--flag"], isolation: { ...spec.isolation, network: "bridge", readOnly: false, capAdd: ["NET_BIND_SERVICE"] } }, "n", {});
    expect(options).toMatchObject({ Cmd: ["--flag"], NetworkDisabled: false, HostConfig: { NetworkMode: "bridge", ReadonlyRootfs: false, CapAdd: ["NET_BIND_SERVICE"], CapDrop: ["ALL"] } });
    expect(options.HostConfig?.Tmpfs).toBeUndefined();
  });
});
