import { McpError } from "@modelcontextprotocol/sdk/types.js";

/** The JSON-RPC error a request is refused with (the request must fail). */
export async function refusal(request: Promise<unknown>): Promise<McpError> {
  const error = await request.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof McpError)) throw new Error(`expected a JSON-RPC error, got ${JSON.stringify(error)}`);
  return error;
}
