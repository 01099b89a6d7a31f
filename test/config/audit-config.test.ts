import { describe, expect, it } from "vitest";
import { auditOf, parseConfig } from "../../src/config/load.js";
import { configProblems } from "../helpers/config-problems.js";

const PROVIDERS = "providers:\n  math: { command: [node, math.js] }\n";

function problems(text: string): string[] {
  return configProblems(text, "/srv/hangar.yaml");
}

describe("audit config", () => {
  it("defaults: on, default path, capture hash, 30 days, 100 ms batches — with or without the section", () => {
    const defaults = { enabled: true, path: undefined, capture: "hash", retentionDays: 30, batchMs: 100, writerThread: true };
    expect(parseConfig(PROVIDERS, "/srv/hangar.yaml", {}).audit).toEqual(defaults);
    expect(auditOf({ source: "/srv/hangar.yaml", expose: "both", providers: [] })).toEqual(defaults);
  });

  it("resolves a relative path against the config's folder and keeps :memory:", () => {
    const text = `${PROVIDERS}audit:\n  path: state/audit.db\n  capture: none\n  retention_days: "\${DAYS:-7}"\n  batch_ms: 250\n  writer_thread: false\n`;
    expect(parseConfig(text, "/srv/hangar.yaml", {}).audit).toEqual({
      enabled: true,
      path: "/srv/state/audit.db",
      capture: "none",
      retentionDays: 7,
      batchMs: 250,
      writerThread: false,
    });
    expect(parseConfig(`${PROVIDERS}audit: { path: ":memory:", enabled: false }\n`, "/srv/hangar.yaml", {}).audit).toMatchObject({
      enabled: false,
      path: ":memory:",
    });
  });

  it("reports bad values at their line, and suggests keys", () => {
    const lines = problems(`${PROVIDERS}audit:\n  capture: everything\n  retention_day: 3\n  batch_ms: 0\n`);
    expect(lines.join("\n")).toMatch(/hangar\.yaml:4:\d+: audit\.capture: .*none.*hash.*full/);
    expect(lines.join("\n")).toMatch(/hangar\.yaml:5:\d+: audit: unknown key 'retention_day' — did you mean 'retention_days'\?/);
    expect(lines.join("\n")).toMatch(/hangar\.yaml:6:\d+: audit\.batch_ms/);
  });
});
