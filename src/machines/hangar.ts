import { setup, type ActorRefFrom } from "xstate";
import type { ProviderSpec } from "../config/types.js";
import type { StopReason } from "../shared/domain-events.js";
import { failure, type ToolCall } from "./call.js";
import { providerMachine, type StartReply } from "./provider.js";
import { listedTools, providerView, type ListedTool, type ProviderView } from "./provider-view.js";

/**
 * The root supervisor. It spawns one provider actor per configured provider (systemId
 * `provider:<id>`, so anything can reach it with `system.get`) and routes every request as a
 * message. Replies travel back through the resolver carried in the event, never through state.
 */
export type ProviderRef = ActorRefFrom<typeof providerMachine>;

export interface HangarInput {
  providers: ProviderSpec[];
}

export interface HangarContext {
  providers: Record<string, ProviderRef>;
}

export type HangarEvent =
  | { type: "INVOKE"; providerId: string; call: ToolCall }
  | { type: "START"; providerId: string; reply: StartReply }
  | { type: "STOP"; providerId: string; reason: Extract<StopReason, "manual" | "config">; reply: () => void }
  | { type: "STATUS"; reply: (views: ProviderView[]) => void }
  | { type: "LIST_TOOLS"; reply: (tools: Record<string, ListedTool[]>) => void }
  | { type: "SHUTDOWN" };

export function providerSystemId(providerId: string): string {
  return `provider:${providerId}`;
}

function unknownProviderMessage(context: HangarContext, providerId: string): string {
  const known = Object.keys(context.providers);
  return `unknown provider '${providerId}'; known providers: ${known.length > 0 ? known.join(", ") : "(none)"}`;
}

export const hangarMachine = setup({
  types: {
    context: {} as HangarContext,
    events: {} as HangarEvent,
    input: {} as HangarInput,
  },
  actors: { provider: providerMachine },
  actions: {
    routeInvoke: ({ context, event }) => {
      if (event.type !== "INVOKE") return;
      const ref = context.providers[event.providerId];
      if (ref) ref.send({ type: "INVOKE", call: event.call });
      else event.call.reply(failure("rejected", unknownProviderMessage(context, event.providerId)));
    },
    routeStart: ({ context, event }) => {
      if (event.type !== "START") return;
      const ref = context.providers[event.providerId];
      if (ref) ref.send({ type: "START", reply: event.reply });
      else event.reply({ ok: false, kind: "rejected", message: unknownProviderMessage(context, event.providerId) });
    },
    routeStop: ({ context, event }) => {
      if (event.type !== "STOP") return;
      const ref = context.providers[event.providerId];
      if (ref) ref.send({ type: "STOP", reason: event.reason, reply: event.reply });
      else event.reply();
    },
    replyStatus: ({ context, event }) => {
      if (event.type !== "STATUS") return;
      const now = Date.now();
      event.reply(Object.values(context.providers).map((ref) => providerView(ref.getSnapshot().context, now)));
    },
    replyTools: ({ context, event }) => {
      if (event.type !== "LIST_TOOLS") return;
      event.reply(
        Object.fromEntries(Object.entries(context.providers).map(([id, ref]) => [id, listedTools(ref.getSnapshot().context)])),
      );
    },
    stopAllProviders: ({ context }) => {
      for (const ref of Object.values(context.providers)) ref.send({ type: "STOP", reason: "shutdown" });
    },
  },
}).createMachine({
  id: "hangar",
  context: ({ input, spawn }) => ({
    providers: Object.fromEntries(
      input.providers.map((spec) => {
        const systemId = providerSystemId(spec.id);
        return [spec.id, spawn("provider", { id: systemId, systemId, input: { spec } })];
      }),
    ),
  }),
  initial: "running",
  states: {
    running: {
      description: "Routing requests to provider actors.",
      on: {
        INVOKE: { actions: "routeInvoke", description: "A tool call for one provider." },
        START: { actions: "routeStart", description: "Start a provider (registry_start, warm-up)." },
        STOP: { actions: "routeStop", description: "Stop a provider (registry_stop)." },
        STATUS: { actions: "replyStatus", description: "Report every provider's state." },
        LIST_TOOLS: { actions: "replyTools", description: "Report every provider's listed tools (live ∪ predefined)." },
        SHUTDOWN: {
          target: "stopped",
          actions: "stopAllProviders",
          description: "Hangar shutdown: every provider stops gracefully, pending calls are answered.",
        },
      },
    },
    stopped: {
      description: "Shut down: providers stopped; the runtime then stops the actor system.",
      type: "final",
    },
  },
});
