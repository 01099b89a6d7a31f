import type Dockerode from "dockerode";
import type { HangarConfig } from "../config/types.js";
import type { Logger } from "../observability/log.js";
import { engineAddress, sharedEngine } from "./container-engine.js";
import { LABEL, ownerStatus, type OwnerIdentity, ownIdentity } from "./container-labels.js";

/**
 * Removes the containers earlier hangars left behind when they died without cleaning up
 * (SIGKILL, power loss): every container labelled with an owner that no longer runs. A live
 * hangar's containers — another client's hangar beside this one — are never touched, and
 * neither are containers from another host. Returns the removed containers' names.
 */
export async function removeLeftoverContainers(engine: Dockerode, log: Logger, me: OwnerIdentity = ownIdentity()): Promise<string[]> {
  const containers = await engine.listContainers({ all: true, filters: { label: [LABEL.owner] } });
  const removed: string[] = [];
  await Promise.all(
    containers.map(async (info) => {
      if (ownerStatus(info.Labels, me) !== "dead") return;
      const name = info.Names[0]?.replace(/^\//, "") ?? info.Id.slice(0, 12);
      try {
        await engine.getContainer(info.Id).remove({ force: true });
        removed.push(name);
      } catch (error) {
        // Already gone (another hangar cleaned up at the same moment) is fine.
        if ((error as { statusCode?: number }).statusCode !== 404) log.warn("could not remove a leftover container", { container: name, error: String(error) });
      }
    }),
  );
  return removed;
}

/** How long start-up waits for the leftover cleanup before going on without it. */
const STARTUP_CLEANUP_MS = 10_000;

/**
 * At start-up, when the config has container providers: removes what dead hangars left. An
 * engine that cannot be reached only earns a warning here; starting a container says it again.
 */
export async function cleanUpAtStartup(config: HangarConfig, log: Logger, engine?: Dockerode): Promise<void> {
  if (!config.providers.some((provider) => provider.mode === "container")) return;
  try {
    // An engine that accepts the connection but never answers must not hold up the start.
    const removed = await Promise.race([removeLeftoverContainers(engine ?? sharedEngine(), log), timeout(STARTUP_CLEANUP_MS)]);
    if (removed.length > 0) log.warn(`removed ${removed.length} containers left by a hangar that is gone`, { containers: removed });
  } catch (error) {
    log.warn(`could not look for leftover containers at ${engineAddress()}`, { error: String(error) });
  }
}

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => {
    setTimeout(() => {
      reject(new Error(`no answer within ${ms / 1000} s`));
    }, ms).unref();
  });
}
