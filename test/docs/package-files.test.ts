import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

/**
 * The README is the package's page on npm: every file it links to (docs/*.md, examples/…) must
 * be in the published package, i.e. under one of package.json's `files`.
 */
describe("the npm package", () => {
  it("ships every file the README links to", () => {
    const files = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { files: string[] }).files;
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const linked = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)#\s]+)/g)].map((match) => (match[1] ?? "").replace(/^\.\//, "").replace(/\/$/, ""));
    expect(linked.length).toBeGreaterThan(0);
    const missing = linked.filter((path) => !files.some((entry) => path === entry || path.startsWith(`${entry}/`)));
    expect(missing).toEqual([]);
  });
});
