import type { ProviderSpec } from "../config/types.js";
import type { ProviderStateName } from "../shared/domain-events.js";
import { failure, type ToolCall } from "./call.js";
import type { providerMachine, StartReply } from "./provider.js";
import type { ActorRefFrom } from "xstate";

/**
 * The supervisor's run-time membership changes: providers added, replaced and removed while the
 * hangar runs (discovery, config reload). A provider never stops in the middle of a call for
 * this: it drains first, and requests for a provider being replaced wait for its successor.
 */

type ProviderRef = ActorRefFrom<typeof providerMachine>;

export type MembershipEvent =
  | { type: "PROVIDER.ADD"; spec: ProviderSpec; reply?: () => void }
  | { type: "PROVIDER.REPLACE"; spec: ProviderSpec; reply?: () => void }
  | { type: "PROVIDER.REMOVE"; providerId: string; reply?: () => void }
  /** The draining actor `ref` has stopped (its DRAIN reply). */
  | { type: "PROVIDER.DRAINED"; providerId: string; ref: ProviderRef };

/** A request that arrived for a provider while it drained for a replacement. */
export type HeldEvent =
  | { type: "INVOKE"; providerId: string; call: ToolCall }
  | { type: "START"; providerId: string; reply: StartReply }
  | { type: "STOP"; providerId: string; reason: "manual" | "config"; reply: () => void };

export interface Draining {
  ref: ProviderRef;
  /** The spec that takes over once `ref` has stopped; undefined for a removal. */
  next: ProviderSpec | undefined;
  held: HeldEvent[];
  /** Answered when the change is complete (the successor exists, or the provider is gone). */
  replies: ((() => void) | undefined)[];
  /** The old one was running: its successor starts at once, so a reload keeps it warm. */
  restart: boolean;
}

export function wasRunning(state: ProviderStateName): boolean {
  return state === "INITIALIZING" || state === "READY" || state === "DEGRADED";
}

/** A held request whose provider was removed after all. */
export function refuseHeld(request: HeldEvent, message: string): void {
  switch (request.type) {
    case "INVOKE":
      request.call.reply(failure("rejected", message));
      return;
    case "START":
      request.reply({ ok: false, kind: "rejected", message });
      return;
    case "STOP":
      request.reply();
      return;
  }
}
