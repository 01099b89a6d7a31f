import { auditOf } from "../../config/load.js";
import type { HangarConfig } from "../../config/types.js";
import type { Logger } from "../log.js";
import { AuditTrail } from "./trail.js";

/**
 * Opens the hangar's audit trail as its config says (undefined when `audit.enabled: false`).
 * A file that cannot be opened is reported and the hangar serves without an audit trail: a
 * desktop client's tools should not vanish because a state directory is read-only.
 */
export function startAuditTrail(config: HangarConfig, logger: Logger): AuditTrail | undefined {
  const spec = auditOf(config);
  if (!spec.enabled) return undefined;
  try {
    const trail = new AuditTrail({
      spec,
      source: config.source,
      onError: (error) => {
        logger.error("the audit trail could not write", { error: String(error) });
      },
      onNotice: (message) => {
        logger.warn(message);
      },
      onThreadStart: () => {
        logger.info("the audit trail is written on its worker thread from now on (events come fast)");
      },
    });
    logger.debug(`audit trail at ${trail.path} (capture: ${spec.capture})`);
    return trail;
  } catch (error) {
    logger.error(`cannot open the audit trail at ${spec.path ?? "its default location"}; serving without one`, { error: String(error) });
    return undefined;
  }
}
