import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, details, FIXTURES, fixtureCommand, invoke, NODE, textOf, useE2E } from "../helpers/cli.js";

const e2e = useE2E();

const SECRET = "hangar-secret-value-4b1d";

describe("provider environment", () => {
  it("gives a provider its config env and a small allow-list, never the hangar's other variables unless inherit_env", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(
      {
        providers: {
          isolated: { command: fixtureCommand("echo-server.js", marker), env: { FROM_CONFIG: "config value", NUMBER: 42 } },
          named: { command: fixtureCommand("echo-server.js", marker), env: { PASSED_ON: "${HANGAR_SECRET_X}" } },
          inherits: { command: fixtureCommand("echo-server.js", marker), inherit_env: true, env: { FROM_CONFIG: "wins" } },
        },
      },
      { env: { HANGAR_SECRET_X: SECRET, PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    const { client } = hangar;
    const env = async (provider: string, name: string): Promise<string> => textOf(await invoke(client, provider, "env", { name }));

    expect(await env("isolated", "HANGAR_SECRET_X")).toBe("(unset)");
    expect(await env("isolated", "FROM_CONFIG")).toBe("config value");
    expect(await env("isolated", "NUMBER")).toBe("42");
    expect(await env("isolated", "PATH")).toBe(process.env.PATH ?? "/usr/bin:/bin");

    // Named explicitly through interpolation: the value arrives, under the config's name only.
    expect(await env("named", "PASSED_ON")).toBe(SECRET);
    expect(await env("named", "HANGAR_SECRET_X")).toBe("(unset)");

    expect(await env("inherits", "HANGAR_SECRET_X")).toBe(SECRET);
    expect(await env("inherits", "FROM_CONFIG")).toBe("wins");
  });

  it("masks env secrets a provider prints on stderr, in the log and in registry_details", async () => {
    const marker = e2e.marker();
    const echo = join(FIXTURES, "echo-server.js");
    const hangar = await e2e.start(
      {
        providers: {
          leaky: {
            command: ["sh", "-c", `echo "leaky: my token is $API_TOKEN" >&2; exec '${NODE}' '${echo}' --marker=${marker}`],
            env: { API_TOKEN: "${HANGAR_SECRET_X}" },
            tools: [{ name: "env", inputSchema: { type: "object", properties: { name: { type: "string" } } } }],
          },
        },
      },
      { env: { HANGAR_SECRET_X: SECRET, PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    const { client } = hangar;
    // The tool's own result is the provider's answer and passes through untouched.
    expect(textOf(await callTool(client, "leaky__env", { name: "API_TOKEN" }))).toBe(SECRET);

    await hangar.waitForStderr("leaky: my token is");
    const info = await details(client, "leaky");
    expect(info.stderr_tail.some((line) => line.startsWith("leaky: my token is"))).toBe(true);
    expect(JSON.stringify(info)).not.toContain(SECRET);
    expect(hangar.stderr()).not.toContain(SECRET);
  });
});
