import { watch, type FSWatcher } from "node:fs";
import { fromCallback } from "xstate";
import type { SourceBody, SourceCommand, SourceInput, SourceReportEvent, SourceScan } from "../discovery/source-protocol.js";

/**
 * A discovery source over local folders: scans once at start, then again whenever a watched
 * folder changes (fs.watch, debounced: an editor's save is several events) and on SYNC. Only a
 * scan whose result differs from the last one is reported, so a touch that changes nothing is
 * silent. Stopping the actor closes the watchers.
 */
const DEBOUNCE_MS = 100;

export interface WatchedSourceParts {
  /** The folders to watch (a missing one is retried on each scan). */
  folders: (input: SourceInput) => string[];
  /** A scanner for this source, kept for the actor's life (it may remember last good versions). */
  scanner: (input: SourceInput) => () => SourceScan;
}

export function watchedSource(parts: WatchedSourceParts) {
  return fromCallback<SourceCommand, SourceInput>(watchedSourceBody(parts));
}

export function watchedSourceBody(parts: WatchedSourceParts): SourceBody {
  return ({ input, sendBack, receive }) => {
    const sourceId = input.source.id;
    const scan = parts.scanner(input);
    const watchers = new Map<string, FSWatcher>();
    let timer: NodeJS.Timeout | undefined;
    let lastReported: string | undefined;
    let stopped = false;

    const report = (syncId?: number): void => {
      if (stopped) return;
      // Watch first, then scan: a file that arrives after the scan read the folder then wakes a
      // new scan. The other way round, one written between the two went unseen until the next change.
      ensureWatching();
      const result = scan();
      const text = JSON.stringify(result);
      if (syncId === undefined && text === lastReported) return;
      lastReported = text;
      sendBack({ type: "SOURCE.REPORT", sourceId, scan: result, ...(syncId === undefined ? {} : { syncId }) } satisfies SourceReportEvent);
    };
    const scheduleScan = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        report();
      }, DEBOUNCE_MS);
    };
    const ensureWatching = (): void => {
      for (const folder of parts.folders(input)) {
        if (watchers.has(folder)) continue;
        try {
          const watcher = watch(folder, { persistent: false }, scheduleScan);
          watcher.on("error", () => {
            // The folder went away: forget the watcher; the next scan reports it and retries.
            watcher.close();
            watchers.delete(folder);
            scheduleScan();
          });
          watchers.set(folder, watcher);
        } catch {
          // Missing folder: the scan reports it; a SYNC or a later scan tries again.
        }
      }
    };

    // After the start-up step: the discovery chart is then ready for reports.
    setImmediate(() => {
      report();
    });
    receive((event) => {
      report(event.syncId);
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    };
  };
}
