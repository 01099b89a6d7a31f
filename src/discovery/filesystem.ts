import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../config/errors.js";
import { parseConfig } from "../config/load.js";
import type { FilesystemSourceSpec, ProviderSpec } from "../config/types.js";
import type { RejectedItem, SourceScan } from "./source-protocol.js";

/**
 * The filesystem source's logic: a folder of YAML files in the main config's format (their
 * `providers`). Each file keeps its last good version: a file that breaks is reported with
 * file:line:col and quarantined, and its providers stay as they last were; only deleting the
 * file (or emptying its providers) removes them.
 */
export class FilesystemScanner {
  private readonly lastGood = new Map<string, ProviderSpec[]>();
  private readonly matches: RegExp;

  constructor(
    private readonly source: FilesystemSourceSpec,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.matches = globToRegExp(source.pattern);
  }

  scan(): SourceScan {
    let names: string[];
    try {
      names = readdirSync(this.source.path).filter((name) => this.matches.test(name)).sort();
    } catch (error) {
      return { specs: undefined, error: `cannot read ${this.source.path}: ${errorText(error)}`, rejected: [] };
    }
    const rejected: RejectedItem[] = [];
    const present = new Set<string>();
    for (const name of names) {
      const file = join(this.source.path, name);
      present.add(file);
      const parsed = this.parse(file);
      if (parsed.ok) this.lastGood.set(file, parsed.specs);
      else rejected.push({ item: file, message: parsed.message });
    }
    for (const file of [...this.lastGood.keys()]) if (!present.has(file)) this.lastGood.delete(file);
    const specs = this.merge(rejected);
    return { specs, rejected, ...(rejected.length === 0 ? {} : { error: rejected.map((item) => item.message).join("\n") }) };
  }

  /** Files in name order; an id a file repeats from an earlier file is rejected there. */
  private merge(rejected: RejectedItem[]): ProviderSpec[] {
    const byId = new Map<string, { spec: ProviderSpec; file: string }>();
    for (const [file, specs] of [...this.lastGood.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const spec of specs) {
        const first = byId.get(spec.id);
        if (first === undefined) byId.set(spec.id, { spec, file });
        else rejected.push({ item: file, message: `${file}: providers.${spec.id}: already defined in ${first.file}; ignored here` });
      }
    }
    return [...byId.values()].map((entry) => entry.spec);
  }

  private parse(file: string): { ok: true; specs: ProviderSpec[] } | { ok: false; message: string } {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      return { ok: false, message: `${file}: cannot read: ${errorText(error)}` };
    }
    try {
      return { ok: true, specs: parseConfig(text, file, this.env).providers };
    } catch (error) {
      if (error instanceof ConfigError) return { ok: false, message: error.format() };
      throw error;
    }
  }
}

/** `*.yaml`, `mcp-?.yml`: `*` and `?` only, matched against the whole file name. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}

function errorText(error: unknown): string {
  return error instanceof Error && "code" in error && error.code === "ENOENT" ? "not found" : String(error);
}
