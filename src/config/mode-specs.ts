import { resolve } from "node:path";
import type { RawProvider } from "./schema.js";
import type { ContainerProviderSpec, RemoteProviderSpec, SubprocessProviderSpec, VolumeSpec } from "./types.js";
import { sensitiveMountReason } from "./volume-checks.js";
import type { ConfigPath } from "./interpolate.js";

/** The part of a provider spec that depends on its mode (the common part is built in load.ts). */
export type ModePart =
  | Pick<SubprocessProviderSpec, "mode" | "command" | "env" | "inheritEnv" | "cwd">
  | Pick<ContainerProviderSpec, "mode" | "image" | "command" | "entrypoint" | "env" | "volumes" | "user" | "isolation">
  | Pick<RemoteProviderSpec, "mode" | "url" | "transport" | "headers">;

const MIB = 1024 * 1024;
/** Defaults of resources, for a container provider without a `resources` mapping. */
const DEFAULT_RESOURCES = { memory: 512 * MIB, cpu: 1, pids: 256 };

/** `base`: the config file's folder, which relative paths are resolved against. */
export function modePart(raw: RawProvider, base: string): ModePart {
  switch (raw.mode) {
    case "subprocess":
      return {
        mode: "subprocess",
        // The schema refuses a subprocess provider without a command.
        command: raw.command ?? [],
        env: raw.env,
        inheritEnv: raw.inherit_env,
        cwd: resolve(base, raw.cwd ?? "."),
      };
    case "container": {
      const resources = raw.resources ?? DEFAULT_RESOURCES;
      return {
        mode: "container",
        image: raw.image ?? "",
        command: raw.command ?? [],
        entrypoint: raw.entrypoint,
        env: raw.env,
        volumes: (raw.volumes ?? []).map((volume) => parseVolume(volume, base)),
        user: raw.user,
        isolation: {
          network: raw.network ?? "none",
          readOnly: raw.read_only ?? true,
          capAdd: raw.cap_add ?? [],
          allowSensitiveMounts: raw.allow_sensitive_mounts ?? false,
          memoryBytes: resources.memory,
          cpus: resources.cpu,
          pids: resources.pids,
        },
      };
    }
    case "remote":
      return { mode: "remote", url: raw.url ?? "", transport: raw.transport, headers: raw.headers ?? {} };
  }
}

/**
 * `host:/container[:ro|rw]`. A host part with a `/` (or starting with `.` or `~`) is a path,
 * resolved against the config file's folder; a bare name is a named volume, as Docker reads it.
 */
export function parseVolume(text: string, base: string): VolumeSpec {
  const parts = text.split(":");
  const mode = parts.length === 3 ? parts.pop() : undefined;
  const [host = "", target = ""] = parts;
  const named = !host.includes("/") && !host.startsWith(".") && !host.startsWith("~");
  return { source: named ? host : resolve(base, host), named, target, readOnly: mode === "ro" };
}

export interface ModeProblem {
  path: ConfigPath;
  message: string;
}

/** Checks that need the config's folder: host paths of volumes, once resolved. */
export function modeProblems(id: string, raw: RawProvider, base: string): ModeProblem[] {
  if (raw.mode !== "container" || raw.allow_sensitive_mounts === true) return [];
  const problems: ModeProblem[] = [];
  (raw.volumes ?? []).forEach((text, index) => {
    const volume = parseVolume(text, base);
    if (volume.named) return;
    const reason = sensitiveMountReason(volume.source);
    if (reason === undefined) return;
    problems.push({
      path: ["providers", id, "volumes", index],
      message: `mounting ${volume.source} is refused: ${reason}; set allow_sensitive_mounts: true if the provider really needs it`,
    });
  });
  return problems;
}
