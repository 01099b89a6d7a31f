import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { GroupSpec, HangarConfig } from "../config/types.js";
import { SUPERVISOR_SYSTEM_ID } from "../machines/supervisor-id.js";
import type { Logger } from "../observability/log.js";
import type { HangarRuntime } from "./hangar-runtime.js";

/**
 * Hot reload of the main config (SIGHUP, or the file changing with `watch_config: true`). A config
 * with errors is rejected whole — with the same file:line:col messages as at start-up — and the
 * running set stays as it was; a good one is reconciled (unchanged providers untouched, changed
 * ones drained and restarted, removed ones stopped, added ones created). Groups follow the same
 * way: the supervisor adds and removes members, replaces a group whose settings changed, and
 * removes or creates groups (docs/groups.md, "Hot reload").
 */
const DEBOUNCE_MS = 150;

/** Sections only read at start-up: a change to them is reported, not applied. */
const STARTUP_ONLY = ["expose", "http", "observability"] as const satisfies readonly (keyof HangarConfig)[];

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
    const groups = groupChangesOf(current.groups ?? [], next.groups ?? []);
    current = next;
    const result = await runtime.reload(next);
    log.info(
      `config reloaded (${why}): ${result.added.length} added, ${result.changed.length} changed, ${result.removed.length} removed, ${result.unchanged} unchanged`,
      { added: result.added, changed: result.changed, removed: result.removed },
    );
    if (groups.added.length + groups.changed.length + groups.removed.length > 0) {
      log.info(`config reload: groups ${groups.added.length} added, ${groups.changed.length} changed, ${groups.removed.length} removed`, groups);
    }
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

/** The configured groups of two configs, by id (for the reload's log line). */
function groupChangesOf(before: GroupSpec[], after: GroupSpec[]): { added: string[]; changed: string[]; removed: string[] } {
  const old = new Map(before.map((spec) => [spec.id, JSON.stringify(spec)]));
  const next = new Map(after.map((spec) => [spec.id, JSON.stringify(spec)]));
  return {
    added: [...next.keys()].filter((id) => !old.has(id)),
    changed: [...next.keys()].filter((id) => old.has(id) && old.get(id) !== next.get(id)),
    removed: [...old.keys()].filter((id) => !next.has(id)),
  };
}
