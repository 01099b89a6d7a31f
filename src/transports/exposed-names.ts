import { flatToolName } from "./tool-names.js";

/**
 * The name a client sees for a provider's tool or prompt: `<provider>__<name>`, or the
 * provider's own name when its config says `passthrough_names: true` (collisions between
 * such names are refused at config load as far as the config shows them, and reported at run time).
 */
export function exposedName(providerId: string, name: string, passthroughNames: boolean | undefined): string {
  return passthroughNames === true ? name : flatToolName(providerId, name);
}
