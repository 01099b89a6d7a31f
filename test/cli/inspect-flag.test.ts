import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "../../src/cli/args.js";
import { DEFAULT_INSPECT_PORT, extractInspectFlags } from "../../src/cli/inspect-flag.js";

describe("--inspect [PORT] and --inspect-arguments", () => {
  it("takes an optional port: after a space, after =, or none (the default)", () => {
    expect(extractInspectFlags(["--inspect", "9000", "-c", "h.yaml"])).toEqual({
      rest: ["-c", "h.yaml"],
      inspect: { port: 9000, includeArguments: false },
    });
    expect(extractInspectFlags(["--inspect=0"]).inspect).toEqual({ port: 0, includeArguments: false });
    expect(extractInspectFlags(["--inspect", "--config", "h.yaml"])).toEqual({
      rest: ["--config", "h.yaml"],
      inspect: { port: DEFAULT_INSPECT_PORT, includeArguments: false },
    });
    expect(extractInspectFlags(["-c", "h.yaml", "--inspect"]).inspect?.port).toBe(5678);
    expect(extractInspectFlags(["--inspect-arguments", "--inspect"]).inspect).toEqual({ port: 5678, includeArguments: true });
    expect(extractInspectFlags(["-c", "h.yaml"])).toEqual({ rest: ["-c", "h.yaml"], inspect: undefined });
  });

  it("reaches the serve command, and refuses bad ports and --inspect-arguments alone", () => {
    expect(parseCommand(["--inspect", "--config", "h.yaml"])).toMatchObject({
      kind: "serve",
      configPath: "h.yaml",
      inspect: { port: 5678, includeArguments: false },
    });
    expect(parseCommand(["--config", "h.yaml"])).not.toHaveProperty("inspect");
    expect(() => parseCommand(["--inspect=70000"])).toThrow(UsageError);
    expect(() => parseCommand(["--inspect=abc"])).toThrow(/--inspect takes a port number/);
    expect(() => parseCommand(["--inspect-arguments"])).toThrow(/add --inspect/);
  });
});
