import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/index.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { VERSION } from "../version.js";

const CLIENT_INFO = { name: "mcp-hangar", version: VERSION };

/**
 * The SDK's validator for tools' output schemas, made on first use and shared by every provider
 * session. The SDK's Client builds its own ajv instance in its constructor (meta-schema and
 * formats: 1–24 ms of CPU, cold-JIT code in a process that makes few clients, and ≈ 21 KB kept
 * per session) for callTool() and listTools(), which the hangar never uses: calls go out raw
 * (direct-requests.ts) and results pass through unchanged, for the client to check. Each cold
 * start and restart paid for it before the provider process was spawned.
 */
class SharedOutputValidator implements jsonSchemaValidator {
  private ajv: AjvJsonSchemaValidator | undefined;

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    this.ajv ??= new AjvJsonSchemaValidator();
    return this.ajv.getValidator<T>(schema);
  }
}

const OUTPUT_VALIDATOR = new SharedOutputValidator();

/** The MCP client of one provider session (stdio or remote), as the hangar introduces itself. */
export function newProviderClient(): Client {
  return new Client(CLIENT_INFO, { capabilities: {}, jsonSchemaValidator: OUTPUT_VALIDATOR });
}
