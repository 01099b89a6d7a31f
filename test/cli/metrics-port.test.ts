import { describe, expect, it } from "vitest";
import { parseCommand, UsageError } from "../../src/cli/args.js";

describe("--metrics-port", () => {
  it("takes a port from 0 (any free port) to 65535", () => {
    expect(parseCommand(["--metrics-port", "9464"])).toMatchObject({ kind: "serve", metricsPort: 9464 });
    expect(parseCommand(["--metrics-port", "0"])).toMatchObject({ kind: "serve", metricsPort: 0 });
    expect(parseCommand([])).not.toHaveProperty("metricsPort");
  });

  it("refuses anything else, saying what it wants", () => {
    for (const bad of ["", "-1", "65536", "http", "80.5"]) {
      expect(() => parseCommand(["--metrics-port", bad])).toThrow(UsageError);
    }
    expect(() => parseCommand(["--metrics-port", "x"])).toThrow("--metrics-port must be a port number from 0 to 65535 (0 = any free port), not 'x'");
  });
});
