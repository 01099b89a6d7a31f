import type { InspectionEvent } from "xstate";
import type { InspectFlags } from "../../cli/inspect-flag.js";
import type { Logger } from "../log.js";
import { ActorInspector } from "./inspector.js";
import { InspectorRelay } from "./relay.js";
import { createSanitizer } from "./sanitize.js";

/**
 * `--inspect [PORT]`: the relay on 127.0.0.1, and the observer to hand to HangarRuntime's
 * `inspect` option. The address goes to the log (stderr), never to stdout.
 */
export interface RunningInspector {
  /** For HangarRuntime's `inspect` option. */
  inspect: (event: InspectionEvent) => void;
  /** The page to open in a browser. */
  url: string;
  /** Stops sending and closes every viewer's connection; resolves within a few hundred ms. */
  close: () => Promise<void>;
}

export async function startInspector(flags: InspectFlags, log: Logger): Promise<RunningInspector> {
  let reported = false;
  const relay = await InspectorRelay.listen(flags.port);
  const active = new ActorInspector({
    sink: relay,
    sanitizer: createSanitizer({ includeArguments: flags.includeArguments }),
    onError: (error) => {
      if (reported) return;
      reported = true;
      log.warn("inspector: a message could not be sent (further failures are not logged)", { error: String(error) });
    },
  });
  relay.onClient((send) => {
    log.debug("inspector: a viewer connected");
    active.replay(send);
  });
  log.info(`inspector: open ${relay.url} in a browser to watch every actor live (Stately inspector; loopback only)`);
  if (flags.includeArguments) log.warn("inspector: tool arguments are shown to inspector viewers (--inspect-arguments)");
  return {
    inspect: active.inspect,
    url: relay.url,
    close: async () => {
      active.stop();
      await relay.close();
    },
  };
}
