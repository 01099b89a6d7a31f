import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import { parseConfig } from "../config/load.js";
import type { PackagesSourceSpec, ProviderSpec } from "../config/types.js";
import type { RejectedItem, SourceScan } from "./source-protocol.js";

/**
 * The packages source's logic — npm's analogue of Python entry points: every package in the
 * configured node_modules folders whose package.json has `"mcpHangar": { "providers": { … } }`
 * (specs in the main config's format). A command may name one of the package's `bin` entries;
 * it then runs that file, and `cwd` defaults to the package's folder.
 */
export const PACKAGE_FIELD = "mcpHangar";

export function scanPackages(source: PackagesSourceSpec, env: NodeJS.ProcessEnv): SourceScan {
  const specs: ProviderSpec[] = [];
  const rejected: RejectedItem[] = [];
  const missing: string[] = [];
  for (const folder of source.paths) {
    if (!existsSync(folder)) {
      missing.push(folder);
      continue;
    }
    for (const manifest of packageManifests(folder)) {
      const found = readPackage(manifest, env);
      if (found.ok) specs.push(...found.specs);
      else if (found.message !== undefined) rejected.push({ item: manifest, message: found.message });
    }
  }
  if (missing.length === source.paths.length) return { specs: undefined, error: `no such folder: ${missing.join(", ")}`, rejected };
  return { specs, rejected, ...(rejected.length === 0 ? {} : { error: rejected.map((item) => item.message).join("\n") }) };
}

/** package.json of every package in a node_modules folder, scoped ones (`@scope/name`) included. */
function packageManifests(folder: string): string[] {
  const manifests: string[] = [];
  for (const name of safeList(folder).sort()) {
    if (name.startsWith(".")) continue;
    if (name.startsWith("@")) {
      for (const inner of safeList(join(folder, name)).sort()) manifests.push(join(folder, name, inner, "package.json"));
    } else {
      manifests.push(join(folder, name, "package.json"));
    }
  }
  return manifests.filter((path) => existsSync(path));
}

type PackageResult = { ok: true; specs: ProviderSpec[] } | { ok: false; message: string | undefined };

function readPackage(manifest: string, env: NodeJS.ProcessEnv): PackageResult {
  let text: string;
  let data: unknown;
  try {
    text = readFileSync(manifest, "utf8");
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `${manifest}: ${String(error)}` };
  }
  if (!isRecord(data) || !(PACKAGE_FIELD in data)) return { ok: false, message: undefined };
  try {
    const config = parseConfig(text, manifest, env, PACKAGE_FIELD);
    const bins = binEntries(data, dirname(manifest));
    return { ok: true, specs: config.providers.map((spec) => withBin(spec, bins)) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, message: error.format() };
    throw error;
  }
}

/** The package's `bin` as name → absolute file (a string `bin` is named after the package). */
function binEntries(data: Record<string, unknown>, folder: string): Map<string, string> {
  const bins = new Map<string, string>();
  const { bin, name } = data;
  if (typeof bin === "string" && typeof name === "string") bins.set(name.replace(/^@[^/]+\//, ""), resolve(folder, bin));
  if (isRecord(bin)) for (const [key, file] of Object.entries(bin)) if (typeof file === "string") bins.set(key, resolve(folder, file));
  return bins;
}

/** `command: [my-server, --flag]` where my-server is a bin of the package → that file, run by this node when it is JavaScript. */
function withBin(spec: ProviderSpec, bins: Map<string, string>): ProviderSpec {
  if (spec.mode !== "subprocess") return spec;
  const [first, ...rest] = spec.command;
  const file = first === undefined ? undefined : bins.get(first);
  if (file === undefined) return spec;
  const isJavaScript = [".js", ".mjs", ".cjs", ""].includes(extname(file));
  return { ...spec, command: isJavaScript ? [process.execPath, file, ...rest] : [file, ...rest] };
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
