import { realpathSync } from "node:fs";
import { basename, dirname, sep } from "node:path";

/** Host folders a provider must not see into (or write to): the host's own configuration and kernel views. */
const SENSITIVE_TREES = ["/etc", "/proc", "/sys", "/dev", "/boot"];
/** Where engines keep their API socket; a container holding it controls the engine, hence the host. */
const ENGINE_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock", "/run/podman/podman.sock", "/var/run/podman/podman.sock"];
const SOCKET_NAMES = new Set(["docker.sock", "podman.sock", "containerd.sock"]);

/**
 * Why mounting `hostPath` (absolute) into a container is refused, or undefined when it is fine.
 * Symbolic links are followed when the path exists, so a link to /etc is /etc.
 */
export function sensitiveMountReason(hostPath: string, engineSocket = engineSocketPath()): string | undefined {
  for (const path of new Set([hostPath, realPath(hostPath)])) {
    if (path === "/") return "it is the host's whole filesystem";
    const tree = SENSITIVE_TREES.find((root) => path === root || path.startsWith(root + sep));
    if (tree !== undefined) return `it is ${path === tree ? "" : "inside "}${tree}, which belongs to the host`;
    if (SOCKET_NAMES.has(basename(path))) return "it is a container engine's socket, which gives control of the host";
    const sockets = engineSocket === undefined ? ENGINE_SOCKETS : [...ENGINE_SOCKETS, engineSocket];
    if (sockets.some((socket) => isAncestor(path, socket))) return "it holds the container engine's socket, which gives control of the host";
  }
  return undefined;
}

/** The socket DOCKER_HOST names (unix:// only). */
function engineSocketPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.DOCKER_HOST;
  return host?.startsWith("unix://") === true ? host.slice("unix://".length) : undefined;
}

function isAncestor(folder: string, path: string): boolean {
  let current = dirname(path);
  for (;;) {
    if (current === folder) return true;
    const parent = dirname(current);
    if (parent === current) return false;
    current = parent;
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
