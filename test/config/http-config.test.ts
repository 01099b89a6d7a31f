import { describe, expect, it } from "vitest";
import { httpSpecOf, parseConfig } from "../../src/config/load.js";
import { configProblems, yaml } from "../helpers/config-problems.js";

const problems = (text: string, env: NodeJS.ProcessEnv = {}): string[] => configProblems(text, "/etc/hangar/hangar.yaml", env);

const PROVIDERS = ["providers:", "  math:", "    command: [node, server.js]"];
const FILE = "/etc/hangar/hangar.yaml";

describe("the http section", () => {
  it("has safe defaults, also when the section is absent", () => {
    const config = parseConfig(yaml(...PROVIDERS), FILE, {});
    expect(config.http).toBeUndefined();
    expect(httpSpecOf(config)).toEqual({
      host: "127.0.0.1",
      port: 8000,
      sessionIdleS: 1800,
      maxBodyBytes: 4 * 1024 * 1024,
      allowedHosts: [],
      allowedOrigins: [],
      auth: { tokensEnv: undefined, tokensFile: undefined },
      metricsAuth: false,
    });
  });

  it("reads every key, interpolated, with sizes and a tokens file relative to the config", () => {
    const config = parseConfig(
      yaml(
        ...PROVIDERS,
        "http:",
        "  host: 0.0.0.0",
        '  port: "${PORT:-9000}"',
        "  session_idle_s: 60",
        "  max_body_bytes: 1MiB",
        '  allowed_hosts: [hangar.example, "hangar.example:8443", "[::1]:9000"]',
        "  allowed_origins: [https://app.example]",
        "  auth: { tokens_env: HANGAR_TOKENS, tokens_file: secrets/tokens.txt }",
        "  metrics_auth: true",
      ),
      FILE,
      {},
    );
    expect(httpSpecOf(config)).toEqual({
      host: "0.0.0.0",
      port: 9000,
      sessionIdleS: 60,
      maxBodyBytes: 1024 * 1024,
      allowedHosts: ["hangar.example", "hangar.example:8443", "[::1]:9000"],
      allowedOrigins: ["https://app.example"],
      auth: { tokensEnv: "HANGAR_TOKENS", tokensFile: "/etc/hangar/secrets/tokens.txt" },
      metricsAuth: true,
    });
  });

  it("reports bad values and unknown keys at their line and column, with suggestions", () => {
    expect(
      problems(
        yaml(
          ...PROVIDERS, //                                 lines 1-3
          "http:", //                                      line 4
          "  port: 70000", //                              line 5
          "  sesion_idle_s: 5", //                         line 6
          "  tokens_env: T", //                            line 7
          "  allowed_hosts: [https://x.example/]", //      line 8
          "  allowed_origins: [x.example]", //             line 9
          "  max_body_bytes: lots", //                     line 10
          "  auth: { token_env: T }", //                   line 11
        ),
      ),
    ).toEqual([
      `${FILE}:5:9: http.port: must be at most 65535`,
      `${FILE}:6:3: http: unknown key 'sesion_idle_s' — did you mean 'session_idle_s'?`,
      `${FILE}:7:3: http: unknown key 'tokens_env' — did you mean 'auth.tokens_env'?`,
      `${FILE}:8:19: http.allowed_hosts[0]: write a host name or address with an optional port (example.com, example.com:8443, [::1]:8000) or '*' — not a URL`,
      `${FILE}:9:21: http.allowed_origins[0]: write an origin as scheme://host[:port] (https://app.example.com), or '*'`,
      `${FILE}:10:19: http.max_body_bytes: 'lots' is not a size; write a whole number of bytes or a size like 16MiB, 512KiB or 1MB (KB/MB/GB = 1000-based, KiB/MiB/GiB = 1024-based)`,
      `${FILE}:11:11: http.auth: unknown key 'token_env' — did you mean 'tokens_env'?`,
    ]);
  });

  it("reads a principal's tool and provider lists, and names a mistyped key or an empty pattern", () => {
    const config = parseConfig(
      yaml(...PROVIDERS, "http:", "  auth:", "    principals:", "      ci: { allow_tools: [math__*] }", "      guest: { deny_providers: [math], allow_providers: [\"*\"] }"),
      FILE,
      {},
    );
    expect(config.security?.principalAllowTools).toEqual({ ci: ["math__*"] });
    expect(config.security?.principalProviders).toEqual({ guest: { allow: ["*"], deny: ["math"] } });
    expect(
      problems(yaml(...PROVIDERS, "http:", "  auth:", "    principals:", "      ci: { deny_provider: [math] }", '      bot: { allow_providers: [""] }')),
    ).toEqual([
      `${FILE}:7:13: http.auth.principals.ci: unknown key 'deny_provider' — did you mean 'deny_providers'?`,
      `${FILE}:8:32: http.auth.principals.bot.allow_providers[0]: must not be empty — write a provider id or a glob such as github*`,
    ]);
  });
});
