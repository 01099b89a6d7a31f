import { describe, expect, it } from "vitest";
import type { jsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/index.js";
import { newProviderClient } from "../../src/actors/provider-client.js";

/** The SDK keeps the validator it was given (or built) in a private field. */
function validatorOf(client: object): jsonSchemaValidator {
  return (client as { _jsonSchemaValidator: jsonSchemaValidator })._jsonSchemaValidator;
}

describe("a provider session's MCP client", () => {
  it("shares one output-schema validator with every other session instead of building an ajv of its own", () => {
    const first = validatorOf(newProviderClient());
    const second = validatorOf(newProviderClient());
    expect(first).toBe(second);
  });

  it("still validates output schemas should the SDK ask for them", () => {
    const validate = validatorOf(newProviderClient()).getValidator<{ n: number }>({
      type: "object",
      properties: { n: { type: "integer" } },
      required: ["n"],
    });
    expect(validate({ n: 3 })).toMatchObject({ valid: true, data: { n: 3 } });
    const refused = validate({ n: "three" });
    expect(refused.valid).toBe(false);
    expect(refused.errorMessage).toMatch(/integer/);
  });
});
