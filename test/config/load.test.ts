import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { loadConfig, parseConfig } from "../../src/config/load.js";
import type { HangarConfig, SubprocessProviderSpec } from "../../src/config/types.js";
import { DEFAULT_PROVIDER_SECURITY } from "../../src/security/security-controls.js";
import { redactor } from "../../src/shared/redaction.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

const dir = mkdtempSync(join(tmpdir(), "hangar-config-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const problems = (text: string, env: NodeJS.ProcessEnv = {}): string[] => configProblems(text, "hangar.yaml", env);

/** The provider at `index`, which the test wrote as a subprocess provider. */
function subprocessAt(config: HangarConfig, index: number): SubprocessProviderSpec {
  const provider = config.providers[index];
  if (provider?.mode !== "subprocess") throw new Error(`providers[${index}] is not a subprocess provider`);
  return provider;
}

/** What every provider gets for the resilience keys it does not set. */
const RESILIENCE_DEFAULTS = {
  healthyThreshold: 1,
  circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30, halfOpenMaxCalls: 1 },
  restart: { initialDelayS: 1, maxDelayS: 60, multiplier: 2, maxRestarts: 5, windowS: 300 },
  maxCallS: 600,
  maxMessageBytes: 16 * 1024 * 1024,
};

const MINIMAL = "a minimal config is: providers: { math: { command: [node, server.js] } }";

describe("a valid config", () => {
  it("round-trips with defaults applied and cwd made absolute", () => {
    const file = join(dir, "hangar.yaml");
    writeFileSync(
      file,
      yaml(
        "expose: tools",
        "providers:",
        "  math:",
        "    mode: subprocess",
        "    command: [node, examples/providers/math.js]",
        "    idle_ttl_s: 0",
        '    env: { API_KEY: "${MATH_KEY:-none}", PORT: 8080, DEBUG: true }',
        "    description: Arithmetic",
        "    tools:",
        "      - name: add",
        "        description: Add two numbers",
        "        inputSchema: { type: object, properties: { a: {type: number}, b: {type: number} }, required: [a, b] }",
        "        annotations: { readOnlyHint: true, vendorHint: 1 }",
        "      - name: noop",
        "  echo:",
        "    command: [node, echo.js]",
        "    cwd: sub/dir",
        "    inherit_env: true",
        "    warm: true",
        "    startup_timeout_s: 2.5",
      ),
    );

    const config = loadConfig(file, {});

    expect(config).toEqual({
      source: file,
      expose: "tools",
      stdio: { drainTimeoutS: 10 },
      observability: { metrics: { enabled: true, endpoint: "/metrics" } },
      security: { adminTools: undefined, principalRateLimit: undefined, principalAllowTools: {}, principalProviders: {} },
      audit: { enabled: true, path: undefined, capture: "hash", retentionDays: 30, batchMs: 100, writerThread: true },
      providers: [
        {
          id: "math",
          mode: "subprocess",
          command: ["node", "examples/providers/math.js"],
          env: { API_KEY: "none", PORT: "8080", DEBUG: "true" },
          inheritEnv: false,
          cwd: dir,
          idleTtlS: 0,
          healthCheckIntervalS: 60,
          maxConsecutiveFailures: 3,
          ...RESILIENCE_DEFAULTS,
          security: DEFAULT_PROVIDER_SECURITY,
          startupTimeoutS: 30,
          callTimeoutS: 30,
          shutdownGraceS: 5,
          description: "Arithmetic",
          warm: false,
          tools: [
            {
              name: "add",
              description: "Add two numbers",
              inputSchema: {
                type: "object",
                properties: { a: { type: "number" }, b: { type: "number" } },
                required: ["a", "b"],
              },
              annotations: { readOnlyHint: true, vendorHint: 1 },
            },
            { name: "noop", inputSchema: { type: "object" } },
          ],
        },
        {
          id: "echo",
          mode: "subprocess",
          command: ["node", "echo.js"],
          env: {},
          inheritEnv: true,
          cwd: join(dir, "sub", "dir"),
          idleTtlS: 300,
          healthCheckIntervalS: 60,
          maxConsecutiveFailures: 3,
          ...RESILIENCE_DEFAULTS,
          security: DEFAULT_PROVIDER_SECURITY,
          startupTimeoutS: 2.5,
          callTimeoutS: 30,
          shutdownGraceS: 5,
          warm: true,
          tools: [],
        },
      ],
    });
  });

  it("keeps providers in file order and defaults mode and expose", () => {
    const config = parseConfig(
      yaml("providers:", "  zeta: { command: [z] }", "  alpha: { command: [a] }", "  mid: { command: [m] }"),
      join(dir, "ordered.yaml"),
      {},
    );
    expect(config.expose).toBe("both");
    expect(config.providers.map((p) => p.id)).toEqual(["zeta", "alpha", "mid"]);
    expect(config.providers.map((p) => p.mode)).toEqual(["subprocess", "subprocess", "subprocess"]);
  });

  it("keeps an absolute cwd as it is", () => {
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    const config = parseConfig(yaml("providers:", `  p: { command: [x], cwd: "${elsewhere}" }`), join(dir, "c.yaml"), {});
    expect(subprocessAt(config, 0).cwd).toBe(elsewhere);
  });
});

describe("interpolation", () => {
  const text = yaml(
    "providers:",
    "  p:",
    '    command: [node, "${SCRIPT}", "${MODE:-fast}", "$${LITERAL}", "pa$word"]',
    "    idle_ttl_s: ${TTL:-120}",
    "    warm: ${WARM:-false}",
  );

  it("uses a set variable and the default of an unset one", () => {
    const provider = subprocessAt(parseConfig(text, "hangar.yaml", { SCRIPT: "server.js" }), 0);
    expect(provider.command).toEqual(["node", "server.js", "fast", "${LITERAL}", "pa$word"]);
    expect(provider.idleTtlS).toBe(120);
    expect(provider.warm).toBe(false);
  });

  it("prefers a set variable over the default, and treats an empty one as unset for ':-'", () => {
    const provider = subprocessAt(parseConfig(text, "hangar.yaml", { SCRIPT: "s.js", MODE: "", TTL: "7", WARM: "true" }), 0);
    expect(provider.command[2]).toBe("fast");
    expect(provider.idleTtlS).toBe(7);
    expect(provider.warm).toBe(true);
  });

  it("reports a missing variable at its scalar, naming the variable", () => {
    expect(problems(text, {})).toEqual([
      "hangar.yaml:3:21: providers.p.command[1]: environment variable SCRIPT is not set; set it or write ${SCRIPT:-default}",
    ]);
  });

  it("reports a missing variable in a numeric field without a second type error", () => {
    expect(problems(yaml("providers:", "  p:", "    command: [x]", "    call_timeout_s: ${TIMEOUT}"))).toEqual([
      "hangar.yaml:4:21: providers.p.call_timeout_s: environment variable TIMEOUT is not set; set it or write ${TIMEOUT:-default}",
    ]);
  });

  it("refuses malformed references", () => {
    expect(problems(yaml("providers:", "  p:", '    command: [x, "${1X}", "${OPEN"]'))).toEqual([
      "hangar.yaml:3:18: providers.p.command[1]: malformed variable reference '${1X}'; write ${NAME} or ${NAME:-default}",
      "hangar.yaml:3:27: providers.p.command[2]: unterminated variable reference '${OPEN'; write ${NAME} or ${NAME:-default}",
    ]);
  });

  it("leaves keys alone", () => {
    const config = parseConfig(yaml("providers:", "  p:", "    command: [x]", "    env:", "      ${NAME}: v"), "h.yaml", {});
    expect(subprocessAt(config, 0).env).toEqual({ "${NAME}": "v" });
  });
});

describe("secrets", () => {
  it("registers env values and values under secret-looking keys with the redactor", () => {
    parseConfig(
      yaml(
        "providers:",
        "  p:",
        "    command: [x]",
        '    env: { PLAIN_LOOKING: "${DB_URL}" }',
        "    tools:",
        "      - name: t",
        "        inputSchema: { type: object, x-default-token: tok-abcdef }",
      ),
      "hangar.yaml",
      { DB_URL: "postgres://u:pw@db/x" },
    );
    expect(redactor.redact("url=postgres://u:pw@db/x token=tok-abcdef")).toBe("url=*** token=***");
  });
});

describe("errors", () => {
  it("reports a YAML syntax error at yaml's own position", () => {
    expect(problems(yaml("providers:", "  math:", "    command: [node, server.js", "    idle_ttl_s: 5"))).toEqual([
      "hangar.yaml:4:5: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("reports duplicate keys as YAML errors", () => {
    expect(problems(yaml("providers:", "  a: { command: [x] }", "  a: { command: [y] }"))).toEqual([
      "hangar.yaml:3:3: Map keys must be unique",
    ]);
  });

  it("points at an unknown key and suggests the closest valid one", () => {
    expect(
      problems(yaml("exposee: both", "providers:", "  math:", "    command: [x]", "    idle_tl_s: 5", "    inheritEnv: true")),
    ).toEqual([
      "hangar.yaml:1:1: unknown key 'exposee' — did you mean 'expose'?",
      "hangar.yaml:5:5: providers.math: unknown key 'idle_tl_s' — did you mean 'idle_ttl_s'?",
      "hangar.yaml:6:5: providers.math: unknown key 'inheritEnv' — did you mean 'inherit_env'?",
    ]);
  });

  it("lists the valid keys when nothing is close", () => {
    expect(problems(yaml("providers:", "  p:", "    command: [x]", "    tools:", "      - name: t", "        colour: red"))).toEqual(
      [
        "hangar.yaml:6:9: providers.p.tools[0]: unknown key 'colour'; valid keys are name, description, inputSchema, outputSchema, annotations",
      ],
    );
  });

  it("accepts any key inside inputSchema, outputSchema and annotations", () => {
    const config = parseConfig(
      yaml(
        "providers:",
        "  p:",
        "    command: [x]",
        "    tools:",
        "      - name: t",
        "        inputSchema: { type: object, additionalProperties: false, $defs: {} }",
        "        outputSchema: { anything: goes }",
        "        annotations: { custom: 1 }",
      ),
      "hangar.yaml",
      {},
    );
    expect(config.providers[0]?.tools[0]?.outputSchema).toEqual({ type: "object", anything: "goes" });
  });

  it("reports a wrong type at the value", () => {
    expect(problems(yaml("providers:", "  math:", "    command: [x]", '    idle_ttl_s: "soon"'))).toEqual([
      "hangar.yaml:4:17: providers.math.idle_ttl_s: expected a number, got a string",
    ]);
  });

  it("reports an empty value at its key", () => {
    expect(problems(yaml("providers:", "  math:", "    command: [x]", "    idle_ttl_s:"))).toEqual([
      "hangar.yaml:4:5: providers.math.idle_ttl_s: expected a number, got nothing",
    ]);
  });

  it("reports out-of-range numbers", () => {
    expect(
      problems(
        yaml(
          "providers:",
          "  math:",
          "    command: [x]",
          "    idle_ttl_s: -1",
          "    call_timeout_s: 0",
          "    max_consecutive_failures: 1.5",
        ),
      ),
    ).toEqual([
      "hangar.yaml:4:17: providers.math.idle_ttl_s: must be at least 0",
      "hangar.yaml:5:21: providers.math.call_timeout_s: must be greater than 0",
      "hangar.yaml:6:31: providers.math.max_consecutive_failures: must be a whole number",
    ]);
  });

  it("refuses an id that does not match the pattern", () => {
    expect(problems(yaml("providers:", "  1math: { command: [x] }", "  my.tools: { command: [x] }"))).toEqual([
      "hangar.yaml:2:3: providers: provider id '1math' is invalid: it must start with a letter and contain only letters, digits, '_' and '-' (at most 64 characters), because it becomes part of every tool name",
      "hangar.yaml:3:3: providers: provider id 'my.tools' is invalid: it must start with a letter and contain only letters, digits, '_' and '-' (at most 64 characters), because it becomes part of every tool name",
    ]);
  });

  it("refuses an id containing the flat-name separator and says why", () => {
    expect(problems(yaml("providers:", "  my__math:", "    command: [x]"))).toEqual([
      "hangar.yaml:2:3: providers: provider id 'my__math' must not contain '__': tools are exposed as '<provider>__<tool>', so the id would make those names ambiguous",
    ]);
  });

  it("refuses a command string because no shell is used", () => {
    expect(problems(yaml("providers:", "  math:", "    mode: subprocess", "    command: node server.js"))).toEqual([
      "hangar.yaml:4:14: providers.math.command: expected an array of strings; a command string is refused because no shell is used — write [node, server.js]",
    ]);
  });

  it("refuses an empty command and a missing one", () => {
    expect(problems(yaml("providers:", "  a:", "    command: []", "  b:", "    warm: true"))).toEqual([
      "hangar.yaml:3:14: providers.a.command: must not be empty — write [node, server.js]",
      "hangar.yaml:5:5: providers.b: missing required key 'command'",
    ]);
  });

  it("says what a group takes, and suggests for misspelt modes", () => {
    expect(
      problems(yaml("providers:", "  a:", "    mode: group", "    command: [x]", "  b:", "    mode: subproces", "    command: [x]")),
    ).toEqual([
      "hangar.yaml:3:5: providers.a: missing required key 'members'",
      "hangar.yaml:4:5: providers.a: unknown key 'command'; valid keys are mode, strategy, min_healthy, members, failover, retry_on_member_failure, max_attempts, description",
      'hangar.yaml:6:11: providers.b.mode: expected one of "subprocess", "container", "docker", "remote", "group" — did you mean "subprocess"?',
    ]);
  });

  it("refuses duplicate predefined tool names within a provider", () => {
    expect(
      problems(yaml("providers:", "  p:", "    command: [x]", "    tools:", "      - name: add", "      - name: add")),
    ).toEqual(["hangar.yaml:6:15: providers.p.tools[1].name: duplicate tool name 'add' (already defined by tools[0])"]);
  });

  it("explains a minimal config when the file is empty or has no providers", () => {
    expect(problems("")).toEqual([`hangar.yaml:1:1: the config is empty — ${MINIMAL}`]);
    expect(problems("# nothing yet\n")).toEqual([`hangar.yaml:1:1: the config is empty — ${MINIMAL}`]);
    expect(problems("expose: both\n")).toEqual([`hangar.yaml:1:1: no providers defined — ${MINIMAL}`]);
    expect(problems("providers: {}\n")).toEqual([`hangar.yaml:1:12: providers: no providers defined — ${MINIMAL}`]);
    expect(problems("providers:\n")).toEqual([`hangar.yaml:1:1: providers: no providers defined — ${MINIMAL}`]);
    expect(problems("- a\n")).toEqual([`hangar.yaml:1:1: expected a mapping at the top level — ${MINIMAL}`]);
  });

  it("reports every problem together, in file order", () => {
    const error = (() => {
      try {
        parseConfig(
          yaml(
            "expose: tool",
            "providers:",
            "  math:",
            "    command: node math.js",
            "    idle_tl_s: 5",
            '    env: { KEY: "${MISSING_KEY}" }',
            "  bad__id:",
            "    mode: kubernetes",
            "    command: [x]",
          ),
          "hangar.yaml",
          {},
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.issues.map((issue) => [issue.line, issue.column, issue.path])).toEqual([
      [1, 9, "expose"],
      [4, 14, "providers.math.command"],
      [5, 5, "providers.math"],
      [6, 17, "providers.math.env.KEY"],
      [7, 3, "providers"],
      [8, 11, "providers.bad__id.mode"],
    ]);
    expect(configError.message).toBe(configError.format());
    expect(configError.format().split("\n")[0]).toBe(
      'hangar.yaml:1:9: expose: expected one of "both", "registry", "tools" — did you mean "tools"?',
    );
  });
});

describe("loadConfig", () => {
  it("names the file as given in messages", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, yaml("providers:", "  p:", "    command: [x]", "    warm: maybe"));
    expect(() => loadConfig(file, {})).toThrow(`${file}:4:11: providers.p.warm: expected true or false, got a string`);
  });

  it("reports a missing file as a ConfigError", () => {
    const file = join(dir, "absent.yaml");
    expect(() => loadConfig(file, {})).toThrow(ConfigError);
    expect(() => loadConfig(file, {})).toThrow(`${file}: cannot read the config: file not found`);
  });
});
