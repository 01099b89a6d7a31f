import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, FIXTURES, fixtureCommand, jsonOf, REPO_ROOT, runCli, useE2E } from "../helpers/cli.js";

const e2e = useE2E();

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("command line", () => {
  it("validate: a good config exits 0 and names its providers", async () => {
    const marker = e2e.marker();
    const file = e2e.writeConfig({
      providers: { alpha: { command: fixtureCommand("echo-server.js", marker) }, beta: { command: ["node", "b.js"] } },
    });
    const result = await runCli(["validate", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${file}: ok (2 providers: alpha, beta)\n`);
  });

  it("validate: one provider is counted in the singular", async () => {
    const file = e2e.writeConfig({ providers: { alpha: { command: ["node", "a.js"] } } });
    const result = await runCli(["validate", file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${file}: ok (1 provider: alpha)\n`);
  });

  it("validate: a bad config exits 1 with file:line:col for every problem", async () => {
    const file = e2e.writeConfig(
      [
        "providers:", //                                    line 1
        "  math:", //                                       line 2
        "    command: node server.js", //                   line 3: a string, not a list
        "    idle_ttl: 5", //                               line 4: unknown key (idle_ttl_s)
        "  \"bad id\":", //                                 line 5: invalid provider id
        "    command: [node, x.js]", //                     line 6
        "",
      ].join("\n"),
    );
    const result = await runCli(["validate", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${file}:3:14: providers.math.command: expected an array of strings`);
    expect(result.stderr).toContain(`${file}:4:5: providers.math: unknown key 'idle_ttl' — did you mean 'idle_ttl_s'?`);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:5:3: .*provider id 'bad id' is invalid`));
  });

  it("validate: a YAML syntax error and a missing file exit 1 with their position", async () => {
    const broken = e2e.writeConfig("providers:\n  math:\n    command: [node, server.js\n");
    const syntax = await runCli(["validate", broken]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: `));

    const missing = await runCli(["validate", join(e2e.dir(), "missing.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("file not found");
  });

  it("validate without FILE checks the config serving would find, and names it", async () => {
    const project = join(e2e.dir(), "validate-project");
    const empty = join(e2e.dir(), "validate-empty");
    for (const dir of [project, empty]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(project, "hangar.yaml"), JSON.stringify({ providers: { found: { command: ["node", "a.js"] } } }));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: empty, XDG_CONFIG_HOME: empty };
    const found = await runCli(["validate"], { cwd: project, env });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe(`${join(project, "hangar.yaml")}: ok (1 provider: found)\n`);
    const none = await runCli(["validate"], { cwd: empty, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no config file found");
  });

  it("validate: an unquoted ${VAR} inside a flow map adds a hint to the YAML error", async () => {
    const file = e2e.writeConfig("providers:\n  math:\n    command: [node, x.js]\n    env: { K: ${NOPE} }\n");
    const result = await runCli(["validate", file], { env: { ...process.env, NOPE: "x" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:\\d+: .*quote values that use \\$\\{VAR\\} inside \\{ \\} or \\[ \\]`));
  });

  it("exits 2 with a hint when no config is found", async () => {
    const empty = join(e2e.dir(), "empty-cwd");
    const xdg = join(e2e.dir(), "empty-xdg");
    const home = join(e2e.dir(), "empty-home");
    for (const dir of [empty, xdg, home]) mkdirSync(dir, { recursive: true });
    const result = await runCli([], { cwd: empty, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: xdg } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("no config file found");
    expect(result.stderr).toContain("--config FILE");
    expect(result.stderr).toContain("providers:");
  });

  it("serving with an invalid config exits 1 before anything starts", async () => {
    const marker = e2e.marker();
    const server = join(FIXTURES, "echo-server.js");
    const file = e2e.writeConfig(`providers:\n  math:\n    command: [node, ${server}, --marker=${marker}]\n    warm: true\n    colour: blue\n`);
    const result = await runCli(["--config", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${file}:5:5: providers.math: unknown key 'colour'`);
  });

  it("--version and --help exit 0 on stdout; a bad option exits 2", async () => {
    const [version, shortVersion, help, shortHelp] = await Promise.all([runCli(["--version"]), runCli(["-v"]), runCli(["--help"]), runCli(["-h"])]);
    for (const result of [version, shortVersion]) {
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${VERSION}\n`);
    }
    for (const result of [help, shortHelp]) {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Usage:");
      expect(result.stdout).toContain("mcp-hangar validate [FILE]");
    }
    const [bad, badLevel] = await Promise.all([runCli(["--no-such-option"]), runCli(["--log-level", "loud"])]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^mcp-hangar: .*no-such-option.*\nrun 'mcp-hangar --help' for usage\n$/);
    expect(badLevel.code).toBe(2);
    expect(badLevel.stderr).toContain("--log-level must be");
  });

  it("serves ./hangar.yaml from the working directory, else $XDG_CONFIG_HOME/mcp-hangar/config.yaml, when no --config is given", async () => {
    const marker = e2e.marker();
    const project = join(e2e.dir(), "project");
    const xdg = join(e2e.dir(), "xdg");
    const elsewhere = join(e2e.dir(), "elsewhere");
    for (const dir of [project, join(xdg, "mcp-hangar"), elsewhere]) mkdirSync(dir, { recursive: true });
    const config = (id: string): string => JSON.stringify({ providers: { [id]: { command: fixtureCommand("echo-server.js", marker) } } });
    writeFileSync(join(project, "hangar.yaml"), config("from_cwd"));
    writeFileSync(join(xdg, "mcp-hangar", "config.yaml"), config("from_xdg"));
    const env = { XDG_CONFIG_HOME: xdg, HOME: elsewhere };

    const providers = async (cwd: string): Promise<string[]> => {
      const hangar = await e2e.startWith(undefined, { cwd, env });
      const listed = jsonOf(await callTool(hangar.client, "registry_list")).providers as { id: string }[];
      await hangar.close();
      return listed.map((provider) => provider.id);
    };
    expect(await providers(project)).toEqual(["from_cwd"]);
    expect(await providers(elsewhere)).toEqual(["from_xdg"]);
  });

  it("--log-format json writes one JSON object per stderr line, provider stderr included", async () => {
    const marker = e2e.marker();
    const hangar = await e2e.start(
      { providers: { echo: { command: fixtureCommand("echo-server.js", marker) } } },
      { args: ["--log-format", "json", "--log-level", "debug"] },
    );
    await callTool(hangar.client, "registry_invoke", { provider: "echo", tool: "echo", arguments: { text: "x" } });
    await hangar.waitForStderr("echo-server ready");
    await hangar.close();
    const records = hangar
      .stderr()
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { level: string; msg: string; provider?: string });
    expect(records.length).toBeGreaterThan(3);
    for (const record of records) expect(["debug", "info", "warn", "error"]).toContain(record.level);
    expect(records).toContainEqual(expect.objectContaining({ level: "info", msg: "echo-server ready", provider: "echo" }));
  });
});

