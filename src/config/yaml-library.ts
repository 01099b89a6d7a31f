import { createRequire } from "node:module";

type Yaml = typeof import("yaml");
let library: Yaml | undefined;

/**
 * `yaml`'s document model, required when a config needs it: one quickLoad could not read, or
 * one with something to report at its line (see quick-yaml.ts). A hangar whose config is read
 * quickly never loads it. It is CommonJS under Node, so it loads synchronously here.
 */
export function yamlLibrary(): Yaml {
  library ??= createRequire(import.meta.url)("yaml") as Yaml;
  return library;
}
