import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { RpcError } from "./rpc-error.js";

/** What a registry tool refused, for the record (the client gets only the error's message). */
export interface RefusedTarget {
  /** The provider or group the arguments named, as given (known or not); undefined when they named none. */
  providerId: string | undefined;
  /** The tool the record names; the registry tool's own name when absent. */
  subject?: string;
  /**
   * The id exists but the caller may not reach it: the client is told it is unknown, the record
   * says it was not allowed (SecurityControls.recordHiddenCall).
   */
  hidden?: boolean;
}

/**
 * A registry tool's refusal of its arguments (an unknown or hidden provider, group or tool): the
 * JSON-RPC error the client gets (Invalid params), carrying what the refusal was about. The tool
 * kit (defineTool) publishes it with the call's arguments, as a refused provider-tool call is, so
 * the audit trail, the log and the metrics see every refused call.
 */
export class RegistryRefusal extends RpcError {
  constructor(
    message: string,
    readonly target: RefusedTarget,
  ) {
    super(ErrorCode.InvalidParams, message);
  }
}
