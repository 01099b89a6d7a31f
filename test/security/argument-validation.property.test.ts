import { randomUUID } from "node:crypto";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import type { HangarConfig } from "../../src/config/types.js";
import { ArgumentValidator } from "../../src/security/argument-validator.js";
import { SecurityControls } from "../../src/security/security-controls.js";
import { callToolRaw, NODE, textOf } from "../helpers/cli.js";
import { findProcesses } from "../helpers/processes.js";
import { testSpec } from "../helpers/specs.js";
import { invalidArguments, validObject } from "./json-schema-arbitraries.js";
import { useInProcessHangars } from "./in-process-hangar.js";
import { fetchRealTools, FILESYSTEM_JS, type RealTool } from "./real-tool-schemas.js";

let realTools: RealTool[] = [];

beforeAll(async () => {
  realTools = await fetchRealTools();
}, 30_000);

function newControls(): SecurityControls {
  const config: Pick<HangarConfig, "providers" | "security"> = {
    providers: [testSpec({ id: "everything" }), testSpec({ id: "filesystem" })],
  };
  return new SecurityControls(config, { frontEnd: "stdio", specOf: (id) => config.providers.find((spec) => spec.id === id) });
}

const target = (real: RealTool) => ({ providerId: real.server, toolName: real.tool.name, flatName: `${real.server}__${real.tool.name}`, tool: real.tool });

describe("argument validation against real-world schemas (server-everything, server-filesystem)", () => {
  it("fetched both servers' tool lists", () => {
    expect(realTools.filter((real) => real.server === "everything").length).toBeGreaterThan(5);
    expect(realTools.filter((real) => real.server === "filesystem").map((real) => real.tool.name)).toContain("edit_file");
  });

  it("refuses every invalid call with an isError result naming the path of each violation", () => {
    const controls = newControls();
    const breakable = realTools.flatMap((real) => {
      const invalid = invalidArguments(real.tool.inputSchema);
      return invalid === undefined ? [] : [fc.tuple(fc.constant(real), invalid)];
    });
    expect(breakable.length).toBeGreaterThan(10);
    fc.assert(
      fc.property(fc.oneof(...breakable), ([real, invalid]) => {
        const result = controls.admitToolCall({ principal: undefined, roles: [] }, target(real), invalid.args);
        expect(result, `${real.tool.name}: ${invalid.how} ${JSON.stringify(invalid.args)}`).toBeDefined();
        expect(result?.isError).toBe(true);
        expect(result?._meta?.["mcp-hangar/failure"]).toBe("rejected");
        const violations = result?._meta?.["mcp-hangar/violations"] as { path: string; message: string }[];
        expect(violations.map((violation) => violation.path), invalid.how).toContain(invalid.path);
        const text = result?.content[0]?.type === "text" ? result.content[0].text : "";
        expect(text).toContain(`${invalid.path}: `);
        expect(text).toContain(`invalid arguments for tool '${real.tool.name}'`);
      }),
      { numRuns: 500 },
    );
  });

  it("lets every valid call through with its arguments unchanged", () => {
    const controls = newControls();
    const valid = realTools.map((real) => fc.tuple(fc.constant(real), validObject(real.tool.inputSchema)));
    fc.assert(
      fc.property(fc.oneof(...valid), ([real, args]) => {
        const before = structuredClone(args);
        expect(controls.admitToolCall({ principal: undefined, roles: [] }, target(real), args), JSON.stringify(args)).toBeUndefined();
        expect(args).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });
});

describe("argument validator", () => {
  it("compiles each schema once and follows its $schema dialect (draft-07, 2020-12 by default)", () => {
    const validator = new ArgumentValidator();
    const draft07: Tool["inputSchema"] = {
      type: "object",
      $schema: "http://json-schema.org/draft-07/schema#",
      properties: { list: { type: "array", items: [{ type: "string" }], additionalItems: false } },
    };
    // Tuple form of draft-07: a second item is refused.
    expect(validator.validate(draft07, { list: ["a"] })).toBeUndefined();
    expect(validator.validate(draft07, { list: ["a", "b"] })?.[0]?.path).toBe("/list");
    // 2020-12 (no $schema): prefixItems, and the same object hits the cache.
    const modern: Tool["inputSchema"] = { type: "object", properties: { pair: { type: "array", prefixItems: [{ type: "number" }], items: false } } };
    expect(validator.validate(modern, { pair: [1] })).toBeUndefined();
    expect(validator.validate(modern, { pair: [1, 2] })?.[0]?.path).toBe("/pair");
    expect(validator.validate(modern, { pair: ["x"] })?.[0]).toEqual({ path: "/pair/0", message: "must be number" });
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) validator.validate(modern, { pair: [i] });
    // Cached: ten thousand validations take milliseconds, not ten thousand compilations.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("lists every violation, names missing and extra keys by path, and skips schemas it cannot compile", () => {
    const errors: unknown[] = [];
    const validator = new ArgumentValidator((error) => errors.push(error));
    const schema: Tool["inputSchema"] = {
      type: "object",
      properties: { a: { type: "number" }, b: { type: "string", enum: ["x", "y"] }, "we/ird": { type: "string" } },
      required: ["a", "c"],
      additionalProperties: false,
    };
    expect(validator.validate(schema, { b: "z", extra: 1, "we/ird": 2 })).toEqual([
      { path: "/a", message: "is required" },
      { path: "/c", message: "is required" },
      { path: "/extra", message: "is not allowed (additionalProperties)" },
      { path: "/b", message: 'must be one of ["x","y"]' },
      { path: "/we~1ird", message: "must be string" },
    ]);
    const broken = { type: "object", properties: { a: { $ref: "#/definitions/missing" } } } as Tool["inputSchema"];
    expect(validator.validate(broken, { a: 1 })).toBeUndefined();
    expect(validator.validate(broken, { a: 2 })).toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it("checks a schema against its meta-schema once it refuses arguments, and refuses nothing by a schema that breaks it", () => {
    const errors: unknown[] = [];
    const validator = new ArgumentValidator((error) => errors.push(error));
    // multipleOf must be > 0 (both dialects' meta-schemas): compiled anyway, it would refuse every number.
    const broken07 = { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: { n: { type: "number", multipleOf: 0 } } };
    const broken2020 = { type: "object", properties: { n: { type: "number", multipleOf: 0 } } };
    for (const schema of [broken07, broken2020]) {
      expect(validator.validate(schema, { n: 4 })).toBeUndefined();
      expect(validator.validate(schema, { n: 5 })).toBeUndefined();
    }
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toMatch(/multipleOf/);
    // A sound schema's refusals stand, before and after its meta-schema check.
    const sound = { type: "object", properties: { n: { type: "number", multipleOf: 2 } } };
    expect(validator.validate(sound, { n: 4 })).toBeUndefined();
    expect(validator.validate(sound, { n: 5 })).toEqual([{ path: "/n", message: "must be multiple of 2" }]);
    expect(validator.validate(sound, { n: 7 })).toEqual([{ path: "/n", message: "must be multiple of 2" }]);
    expect(errors).toHaveLength(2);
  });
});

describe("argument validation in front of the real server-filesystem", () => {
  const startHangar = useInProcessHangars();

  it("refuses generated invalid calls through the hangar without ever starting the provider, and passes valid ones to it", async () => {
    const tag = `security-fs-${randomUUID()}`;
    const root = mkdtempSync(join(tmpdir(), "hangar-fs-root-"));
    try {
      const tools = realTools.filter((real) => real.server === "filesystem").map((real) => real.tool);
      // Predefined in the config (as a person would copy them from tools/list), so the hangar knows
      // the schemas while the provider is COLD.
      const predefined = tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema }));
      const hangar = await startHangar({ providers: { fs: { command: [NODE, FILESYSTEM_JS, root, `--marker=${tag}`], tools: predefined } } });
      const client = await hangar.connect();
      const breakable = tools.flatMap((tool) => {
        const invalid = invalidArguments(tool.inputSchema);
        return invalid === undefined ? [] : [fc.tuple(fc.constant(tool), invalid)];
      });
      await fc.assert(
        fc.asyncProperty(fc.oneof(...breakable), async ([tool, invalid]) => {
          const result = await callToolRaw(client, `fs__${tool.name}`, invalid.args);
          expect(result.isError).toBe(true);
          expect(result._meta?.["mcp-hangar/failure"]).toBe("rejected");
          expect((result._meta?.["mcp-hangar/violations"] as { path: string }[]).map((violation) => violation.path)).toContain(invalid.path);
        }),
        { numRuns: 60 },
      );
      expect(findProcesses(tag)).toEqual([]);
      expect(hangar.runtime.view("fs")?.state).toBe("COLD");

      // A valid call reaches the real server, which answers from the directory it serves.
      const listed = await callToolRaw(client, "fs__list_allowed_directories", {});
      expect(listed.isError).not.toBe(true);
      expect(textOf(listed)).toContain(realpathSync(root));
      expect(findProcesses(tag)).toHaveLength(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
