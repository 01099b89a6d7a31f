import type { HttpSpec } from "../../config/types.js";
import { AuthConfigError, TokenAuthenticator } from "./auth.js";
import { bindRefusal } from "./guards.js";

/** The command line's say on HTTP (`--http --host … --port … --insecure`). */
export interface HttpCommandLine {
  host: string | undefined;
  port: number | undefined;
  insecure: boolean;
}

/** What the HTTP front end will do, settled before anything starts. */
export interface HttpPlan {
  spec: HttpSpec;
  host: string;
  port: number;
  authenticator: TokenAuthenticator | undefined;
}

export type HttpPlanResult = { ok: true; plan: HttpPlan } | { ok: false; exitCode: 1 | 2; message: string };

/**
 * Settles host, port and tokens (the command line wins over the config's `http` section) and
 * refuses what is unsafe: a non-loopback address without tokens unless --insecure (exit 2), or
 * a token source that cannot be read (exit 1, like an invalid config).
 */
export function planHttp(spec: HttpSpec, commandLine: HttpCommandLine, env: NodeJS.ProcessEnv): HttpPlanResult {
  const host = commandLine.host ?? spec.host;
  const port = commandLine.port ?? spec.port;
  let authenticator: TokenAuthenticator | undefined;
  try {
    authenticator = TokenAuthenticator.fromSpec(spec.auth, env);
  } catch (error) {
    if (error instanceof AuthConfigError) return { ok: false, exitCode: 1, message: `invalid HTTP authentication: ${error.message}` };
    throw error;
  }
  const refusal = bindRefusal(host, authenticator !== undefined, commandLine.insecure);
  if (refusal !== undefined) return { ok: false, exitCode: 2, message: refusal };
  return { ok: true, plan: { spec, host, port, authenticator } };
}
