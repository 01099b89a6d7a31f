import { fromCallback } from "xstate";
import type { SourceType } from "../discovery/precedence.js";
import type { SourceBody, SourceCommand, SourceInput } from "../discovery/source-protocol.js";
import { deferredBody } from "./deferred-callback.js";
import { failingSource } from "./failing-source.js";

/**
 * The discovery source actors the hangar provides, by type. Each type's module — its scanner,
 * watchers, Engine or Kubernetes client glue — is imported when the first source of that type
 * starts, so a config without discovery loads none of them (≈ 20 modules, ≈ 0.15 MB of heap and
 * their share of start-up). Commands that come meanwhile wait for the body (deferred-callback.ts);
 * a module that cannot be loaded makes a source that reports why, now and on every SYNC.
 */
function sourceOnDemand(type: SourceType, load: () => Promise<SourceBody>) {
  let body: Promise<SourceBody> | undefined;
  return fromCallback<SourceCommand, SourceInput>(
    deferredBody(
      () => (body ??= load()),
      (run, params) => run(params) ?? undefined,
      (error, params) => failingSource(`cannot load the ${type} discovery source: ${String(error)}`, params),
    ),
  );
}

export const discoverySources = {
  filesystem: sourceOnDemand("filesystem", () => import("./discovery-filesystem.js").then((module) => module.filesystemSourceBody)),
  packages: sourceOnDemand("packages", () => import("./discovery-packages.js").then((module) => module.packagesSourceBody)),
  docker: sourceOnDemand("docker", () => import("./discovery-docker.js").then((module) => module.dockerSourceBody)),
  kubernetes: sourceOnDemand("kubernetes", () => import("./discovery-kubernetes.js").then((module) => module.kubernetesSourceBody)),
} satisfies Record<SourceType, unknown>;
