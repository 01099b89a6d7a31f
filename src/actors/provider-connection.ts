import { fromCallback } from "xstate";
import type { ProviderSpec } from "../config/types.js";
import type { ConnectionCallback, ConnectionCallEvent, ConnectionInput } from "../machines/connection-protocol.js";
import type { Logger } from "../observability/log.js";
import type { ClientBridge } from "./provider-requests.js";
import { deferredBody } from "./deferred-callback.js";
import { stdioConnectionCallback } from "./subprocess-connection.js";
import { subprocessLauncher } from "./subprocess-launcher.js";

export interface ProviderConnectionOptions {
  log?: Logger;
  /** The hangar environment a subprocess's env is drawn from (never a container's). Default: process.env. */
  hangarEnv?: NodeJS.ProcessEnv;
  /** Where providers' requests and notifications for clients go (see provider-requests.ts). */
  bridge?: ClientBridge;
}

/**
 * The one connection actor the hangar provides to every provider chart: the provider's mode
 * picks what runs behind the same protocol — a subprocess or a container over stdio, or a
 * remote server over HTTP. The chart, the supervisor and the front ends never look at the mode.
 */
export function createProviderConnection(options: ProviderConnectionOptions = {}) {
  const hangarEnv = options.hangarEnv ?? process.env;
  const byMode: Record<ProviderSpec["mode"], ConnectionCallback> = {
    subprocess: stdioConnectionCallback((spec) => subprocessLauncher(spec, hangarEnv), options),
    container: connectionOnDemand("the container launcher", () =>
      import("./container-launcher.js").then((module) => stdioConnectionCallback((spec) => module.containerLauncher(spec, options.log), options)),
    ),
    remote: connectionOnDemand("the HTTP client", () => import("./remote-connection.js").then((module) => module.remoteConnectionCallback(options))),
  };
  return fromCallback<ConnectionCallEvent, ConnectionInput>((params) => byMode[params.input.spec.mode](params));
}

export const providerConnection = createProviderConnection();

/**
 * A mode's body, imported when the first provider of that mode connects. The SDK's HTTP client
 * transports (streamable HTTP, SSE, OAuth helpers, eventsource — ~1.5 MB resident) and the
 * container launcher (its Engine glue, labels, leftovers: six modules) stay unloaded in a hangar
 * whose providers are all local subprocesses. Events wait for the body meanwhile.
 */
function connectionOnDemand(what: string, load: () => Promise<ConnectionCallback>): ConnectionCallback {
  let body: Promise<ConnectionCallback> | undefined;
  return deferredBody(
    () => (body ??= load()),
    (connect, params) => connect(params) as (() => void) | undefined,
    (error, { sendBack }) => {
      sendBack({ type: "CONNECTION.FAILED", kind: "start_failed", message: `cannot load ${what}: ${String(error)}` });
      return undefined;
    },
  );
}
