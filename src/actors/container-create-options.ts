import type Dockerode from "dockerode";
import type { ContainerProviderSpec } from "../config/types.js";

/** The small writable /tmp every read-only container gets (mode 1777: any user may write). */
export const TMPFS_OPTIONS = "rw,nosuid,nodev,noexec,size=64m,mode=1777";

/**
 * The create call for a provider's container: MCP over stdin/stdout (attached, no TTY, so the
 * engine keeps stdout and stderr apart), and the isolation the spec asks for — by default no
 * network, a read-only root with a tmpfs at /tmp, all capabilities dropped, no-new-privileges,
 * memory/cpu/pids limits, never privileged. Holds env values: never log what this returns.
 */
export function containerCreateOptions(spec: ContainerProviderSpec, name: string, labels: Record<string, string>): Dockerode.ContainerCreateOptions {
  const { isolation } = spec;
  return {
    name,
    Image: spec.image,
    ...(spec.command.length > 0 ? { Cmd: spec.command } : {}),
    ...(spec.entrypoint === undefined ? {} : { Entrypoint: spec.entrypoint }),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.user === undefined ? {} : { User: spec.user }),
    Labels: labels,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    // The engine closes the container's stdin when our attach ends: a hangar that dies without
    // cleaning up leaves a stopped container (removed at the next start-up), not a running one.
    StdinOnce: true,
    Tty: false,
    NetworkDisabled: isolation.network === "none",
    HostConfig: {
      NetworkMode: isolation.network,
      ReadonlyRootfs: isolation.readOnly,
      ...(isolation.readOnly ? { Tmpfs: { "/tmp": TMPFS_OPTIONS } } : {}),
      CapDrop: ["ALL"],
      ...(isolation.capAdd.length > 0 ? { CapAdd: isolation.capAdd } : {}),
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      Memory: isolation.memoryBytes,
      // No swap beyond the memory limit.
      MemorySwap: isolation.memoryBytes,
      NanoCpus: Math.round(isolation.cpus * 1e9),
      PidsLimit: isolation.pids,
      Binds: spec.volumes.map((volume) => `${volume.source}:${volume.target}:${volume.readOnly ? "ro" : "rw"}`),
      // Removed by the hangar (stop, then remove), so an exit code and logs can still be read.
      AutoRemove: false,
      Init: false,
    },
  };
}
