import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { HangarConfig } from "../config/types.js";
import { SUPERVISOR_SYSTEM_ID } from "../machines/supervisor-id.js";
import type { Logger } from "../observability/log.js";
import type { HangarRuntime } from "./hangar-runtime.js";

/**
 * Hot reload of the main config (SIGHUP, or the file changing with `watch_config: true`). A config
 * with errors is rejected whole — with the same file:line:col messages as at start-up — and the
 * running set stays as it was; a good one is reconciled (unchanged providers untouched, changed
 * ones drained and restarted, removed ones stopped, added ones created).
 */
const DEBOUNCE_MS = 150;

/** Sections only read at start-up: a change to them is reported, not applied. */
const STARTUP_ONLY = ["expose", "http", "observability", "groups"] as const satisfies readonly (keyof HangarConfig)[];

export interface ConfigReloader {
  reload: (why: string) => Promise<void>;
  close: () => void;
}

export function configReloader(path: string, initial: HangarConfig, runtime: HangarRuntime, log: Logger): ConfigReloader {
  let current = initial;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Reloads run one after another: a burst of saves never reconciles two configs at once.
  let queue: Promise<void> = Promise.resolve();

  const reloadNow = async (why: string): Promise<void> => {
    let next: HangarConfig;
    try {
      next = loadConfig(path);
    } catch (error) {
      const message = error instanceof ConfigError ? error.format() : String(error);
      log.error(`config reload (${why}) rejected; the running providers stay as they were:\n${message}`);
      runtime.events.publish(SUPERVISOR_SYSTEM_ID, { type: "ConfigReloadRejected", file: path, message });
      return;
    }
    const ignored = STARTUP_ONLY.filter((key) => JSON.stringify(current[key]) !== JSON.stringify(next[key]));
    if (ignored.length > 0) log.warn(`config reload: changes to ${ignored.join(", ")} take effect at the next start`);
    current = next;
    const result = await runtime.reload(next);
    log.info(
      `config reloaded (${why}): ${result.added.length} added, ${result.changed.length} changed, ${result.removed.length} removed, ${result.unchanged} unchanged`,
      { added: result.added, changed: result.changed, removed: result.removed },
    );
    syncWatching();
  };

  const reload = (why: string): Promise<void> => {
    queue = queue.then(() => reloadNow(why)).catch((error: unknown) => {
      log.error(`config reload failed: ${String(error)}`);
    });
    return queue;
  };

  // The folder is watched, not the file: editors replace files by renaming, which ends a file watch.
  const syncWatching = (): void => {
    if (current.watchConfig !== true) {
      watcher?.close();
      watcher = undefined;
      return;
    }
    if (watcher !== undefined) return;
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload("the file changed"), DEBOUNCE_MS);
      });
    } catch (error) {
      log.warn(`watch_config: cannot watch ${path}: ${String(error)}`);
    }
  };
  syncWatching();

  return {
    reload,
    close: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
