import type { ProviderSpec } from "../config/types.js";
import { loosenedIsolation } from "../shared/isolation.js";

/**
 * What runs a provider, as registry_details shows it: the command, the image with its isolation
 * (and what of it the config loosened), or the remote URL. Never env values or header values.
 */
export type ProviderTarget =
  | { mode: "subprocess"; command: string[]; cwd: string }
  | {
      mode: "container";
      image: string;
      command: string[];
      isolation: {
        network: string;
        readOnly: boolean;
        capAdd: string[];
        memoryBytes: number;
        cpus: number;
        pids: number;
        /** The config keys that loosened the default isolation, with their values. */
        loosened: string[];
      };
    }
  | { mode: "remote"; url: string; transport: string; headerNames: string[] };

export function providerTarget(spec: ProviderSpec): ProviderTarget {
  switch (spec.mode) {
    case "subprocess":
      return { mode: "subprocess", command: spec.command, cwd: spec.cwd };
    case "container": {
      const { network, readOnly, capAdd, memoryBytes, cpus, pids } = spec.isolation;
      return {
        mode: "container",
        image: spec.image,
        command: spec.command,
        isolation: { network, readOnly, capAdd, memoryBytes, cpus, pids, loosened: loosenedIsolation(spec.isolation) },
      };
    }
    case "remote":
      return { mode: "remote", url: displayUrl(spec.url), transport: spec.transport ?? "auto", headerNames: Object.keys(spec.headers) };
  }
}

/** The URL without credentials or query (either may carry a token). */
function displayUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = "";
    url.password = "";
    url.search = "";
    return url.toString();
  } catch {
    return "(invalid URL)";
  }
}

/** argv-like command of any mode, for the places that show one line. */
export function commandOf(spec: ProviderSpec): string[] {
  return spec.mode === "remote" ? [] : spec.command;
}
