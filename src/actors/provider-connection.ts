import { fromCallback } from "xstate";
import type { ProviderSpec } from "../config/types.js";
import type { ConnectionCallback, ConnectionCallEvent, ConnectionInput } from "../machines/connection-protocol.js";
import type { Logger } from "../observability/log.js";
import type { ClientBridge } from "./provider-requests.js";
import { deferredBody } from "./deferred-callback.js";
import { stdioConnectionCallback } from "./subprocess-connection.js";
import { subprocessLauncher } from "./subprocess-launcher.js";
import { containerLauncher } from "./container-launcher.js";

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
    container: stdioConnectionCallback((spec) => containerLauncher(spec, options.log), options),
    remote: remoteConnection(options),
  };
  return fromCallback<ConnectionCallEvent, ConnectionInput>((params) => byMode[params.input.spec.mode](params));
}

export const providerConnection = createProviderConnection();

/**
 * The remote mode's body, imported when the first remote provider connects: the SDK's HTTP
 * client transports (streamable HTTP, SSE, OAuth helpers, eventsource — ~1.5 MB resident) stay
 * unloaded in a hangar whose providers are all local. Events wait for the body meanwhile.
 */
function remoteConnection(options: ProviderConnectionOptions): ConnectionCallback {
  let body: Promise<ConnectionCallback> | undefined;
  return deferredBody(
    () => (body ??= import("./remote-connection.js").then((module) => module.remoteConnectionCallback(options))),
    (remote, params) => remote(params) as (() => void) | undefined,
    (error, { sendBack }) => {
      sendBack({ type: "CONNECTION.FAILED", kind: "start_failed", message: `cannot load the HTTP client: ${String(error)}` });
      return undefined;
    },
  );
}
