import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findConfigFile } from "../../src/config/find.js";

let root: string;
let project: string;
let home: string;
let xdg: string;

function touch(path: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "providers: {}\n");
  return path;
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "hangar-find-"));
  project = join(root, "project");
  home = join(root, "home");
  xdg = join(root, "xdg");
  mkdirSync(project, { recursive: true });
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("findConfigFile", () => {
  it("prefers ./hangar.yaml over the user config", () => {
    const local = touch(join(project, "hangar.yaml"));
    touch(join(xdg, "mcp-hangar", "config.yaml"));
    touch(join(home, ".config", "mcp-hangar", "config.yaml"));
    expect(findConfigFile(project, { HOME: home, XDG_CONFIG_HOME: xdg })).toBe(local);
  });

  it("uses $XDG_CONFIG_HOME/mcp-hangar/config.yaml when there is no local file", () => {
    const user = touch(join(xdg, "mcp-hangar", "config.yaml"));
    touch(join(home, ".config", "mcp-hangar", "config.yaml"));
    expect(findConfigFile(project, { HOME: home, XDG_CONFIG_HOME: xdg })).toBe(user);
  });

  it("falls back to ~/.config/mcp-hangar/config.yaml when XDG_CONFIG_HOME is unset, empty or relative", () => {
    const user = touch(join(home, ".config", "mcp-hangar", "config.yaml"));
    expect(findConfigFile(project, { HOME: home })).toBe(user);
    expect(findConfigFile(project, { HOME: home, XDG_CONFIG_HOME: "" })).toBe(user);
    expect(findConfigFile(project, { HOME: home, XDG_CONFIG_HOME: "relative/dir" })).toBe(user);
  });

  it("does not look in ~/.config when XDG_CONFIG_HOME points elsewhere", () => {
    touch(join(home, ".config", "mcp-hangar", "config.yaml"));
    expect(findConfigFile(project, { HOME: home, XDG_CONFIG_HOME: xdg })).toBeUndefined();
  });

  it("returns undefined when nothing exists, and ignores a directory named hangar.yaml", () => {
    mkdirSync(join(project, "hangar.yaml"));
    expect(findConfigFile(project, { HOME: home })).toBeUndefined();
  });
});
