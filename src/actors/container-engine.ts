import { createRequire } from "node:module";
import type Dockerode from "dockerode";

let dockerodeClass: typeof Dockerode | undefined;

/**
 * dockerode, required on first use: it and its dependencies weigh ~11 MB resident, which a
 * hangar without containers or a Docker discovery source should not carry. It is CommonJS, so
 * it loads synchronously here, where a container launch or an engine client needs it.
 */
export function dockerode(): typeof Dockerode {
  dockerodeClass ??= createRequire(import.meta.url)("dockerode") as typeof Dockerode;
  return dockerodeClass;
}

/**
 * The Docker Engine API client: the socket from DOCKER_HOST (unix://, tcp://), default
 * /var/run/docker.sock. A Podman socket works the same way (DOCKER_HOST=unix:///run/podman/podman.sock).
 */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env): Dockerode {
  const host = env.DOCKER_HOST;
  const Engine = dockerode();
  if (host?.startsWith("unix://") === true) return new Engine({ socketPath: host.slice("unix://".length) });
  // dockerode reads DOCKER_HOST (tcp://, ssh://) and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH itself.
  return new Engine();
}

/** Where the engine is expected, for messages. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
}

let shared: Dockerode | undefined;

/** One client for the hangar (it holds no connection open between calls). */
export function sharedEngine(): Dockerode {
  shared ??= engineFromEnv();
  return shared;
}

/** Turns an engine error into a sentence that says what to do. */
export function describeEngineError(error: unknown, image: string): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const status = typeof error === "object" && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "ECONNRESET") {
    const hint = code === "EACCES" ? "this user may not use it (add it to the docker group)" : "is Docker (or Podman) running? DOCKER_HOST names another socket";
    return `no container engine reachable at ${engineAddress()} (${code}): ${hint}`;
  }
  if (status === 404 && /no such image/i.test(message)) {
    return `image ${image} is not available to the engine: pull it (docker pull ${image}) or build it (docker build -t ${image} .)`;
  }
  return `the container engine refused: ${message.replace(/^\(HTTP code \d+\) /, "")}`;
}
