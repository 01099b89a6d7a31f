import type { SourceCommand, SourceInput, SourceReportEvent, SourceScan } from "../discovery/source-protocol.js";
import type { CallbackParams } from "./deferred-callback.js";

/**
 * A source that cannot watch at all (a kubeconfig that cannot be read, a source module that
 * cannot be loaded): it says why now and on every SYNC, and holds no set.
 */
export function failingSource(
  message: string,
  { input, sendBack, receive }: Pick<CallbackParams<SourceCommand, SourceInput>, "input" | "sendBack" | "receive">,
): () => void {
  const scan: SourceScan = { specs: undefined, error: message, rejected: [] };
  setImmediate(() => {
    sendBack({ type: "SOURCE.REPORT", sourceId: input.source.id, scan } satisfies SourceReportEvent);
  });
  receive((event) => {
    sendBack({ type: "SOURCE.REPORT", sourceId: input.source.id, scan, syncId: event.syncId } satisfies SourceReportEvent);
  });
  return () => undefined;
}
