import type { HangarRuntime } from "../runtime/hangar-runtime.js";
import type { ToolCatalogue } from "./tool-catalogue.js";
import { FLAT_NAME_SEPARATOR } from "./tool-names.js";

/** What a hold needs of the call's cancellation signal. */
type Cancellation = Pick<AbortSignal, "aborted" | "addEventListener" | "removeEventListener">;

/**
 * A tools/call by a flat name the catalogue does not have, made while the list that could have
 * it is on its way — the provider its prefix names is starting, or READY with its predefined
 * tools standing in until its own tools/list answers (README, "Predefined tools") — is held for
 * that list instead of being refused as unknown: a client that calls during a warm start, or
 * right after the call that started the provider, gets its answer.
 *
 * Returns false at once (no promise) when no such list is pending: an unknown prefix, a provider
 * whose list is known, or one the caller may not reach — refused at once, as ever. Otherwise a
 * promise of whether to admit the call again: true once the name resolves, or once no provider it
 * could belong to is waiting for its list any more (then admitting it again refuses it as unknown);
 * false when the hold ran out — the longest call_timeout_s of those providers — or the caller
 * cancelled.
 */
export function pendingToolList(
  runtime: HangarRuntime,
  catalogue: ToolCatalogue,
  name: string,
  reach: (providerId: string) => boolean,
  signal: Cancellation,
): Promise<boolean> | false {
  if (!name.includes(FLAT_NAME_SEPARATOR)) return false;
  const waiting = runtime
    .providerIds()
    .filter((id) => name.length > id.length + FLAT_NAME_SEPARATOR.length && name.startsWith(`${id}${FLAT_NAME_SEPARATOR}`) && reach(id) && runtime.toolListPending(id));
  if (waiting.length === 0 || signal.aborted) return false;
  const holdMs = Math.max(...waiting.map((id) => (runtime.spec(id)?.callTimeoutS ?? 30) * 1000));
  return new Promise<boolean>((resolve) => {
    const settle = (admitAgain: boolean): void => {
      stopListening();
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(admitAgain);
    };
    const onAbort = (): void => {
      settle(false);
    };
    // The catalogue listens on the same bus and subscribed first: it has the new list by the time this hears of it.
    const stopListening = runtime.events.subscribe((event) => {
      if (!("providerId" in event) || !waiting.includes(event.providerId)) return;
      if (catalogue.resolve(name) !== undefined || !waiting.some((id) => runtime.toolListPending(id))) settle(true);
    });
    const timer = setTimeout(() => {
      settle(false);
    }, holdMs);
    timer.unref();
    signal.addEventListener("abort", onAbort);
  });
}
