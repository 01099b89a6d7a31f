import type Dockerode from "dockerode";
import type { ProviderSpec } from "../config/types.js";
import { log as hangarLog, type Logger } from "../observability/log.js";
import { sharedEngine } from "./container-engine.js";
import { ContainerProcess } from "./container-process.js";
import { refusingLauncher, type ProcessLauncher } from "./provider-process.js";
import { trackTeardown } from "./teardown-registry.js";

/**
 * A provider in a container through the Docker Engine API, spoken to over its attached stdio by
 * the same session as a subprocess. Stopping removes the container; the removal is tracked so
 * the hangar's shutdown waits for it (no container outlives the hangar).
 */
export function containerLauncher(spec: ProviderSpec, log: Logger = hangarLog, engine?: Dockerode): ProcessLauncher {
  if (spec.mode !== "container") return refusingLauncher(spec, "container");

  const providerLog = log.child({ provider: spec.id });
  // One launcher per connection: it removes the container it started.
  let container: ContainerProcess | undefined;
  return {
    description: `image ${spec.image}`,
    launch: () => (container = new ContainerProcess(spec, engine ?? sharedEngine(), providerLog)),
    terminate: (_process, graceMs) => {
      if (container === undefined) return Promise.resolve();
      const removal = container.terminate(graceMs);
      trackTeardown(removal);
      return removal;
    },
  };
}
