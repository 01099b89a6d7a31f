import { join } from "node:path";
import type { PackagesSourceSpec } from "../config/types.js";
import { scanPackages } from "../discovery/packages.js";
import { fromCallback } from "xstate";
import { watchedSourceBody } from "./watched-source.js";

/** `discovery:packages:<name>`: node_modules folders, watched for packages coming and going. */
export const packagesSourceBody = watchedSourceBody({
  // The folder itself (installs and removals) and its scopes are what changes.
  folders: (input) => (input.source as PackagesSourceSpec).paths.flatMap((path) => [path, join(path, ".package-lock.json")]),
  scanner: (input) => () => scanPackages(input.source as PackagesSourceSpec, input.env),
});

export const packagesSource = fromCallback(packagesSourceBody);
