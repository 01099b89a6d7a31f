import { FilesystemScanner } from "../discovery/filesystem.js";
import type { FilesystemSourceSpec } from "../config/types.js";
import { fromCallback } from "xstate";
import { watchedSourceBody } from "./watched-source.js";

/** `discovery:filesystem:<name>`: a folder of provider files, watched with fs.watch. */
export const filesystemSourceBody = watchedSourceBody({
  folders: (input) => [(input.source as FilesystemSourceSpec).path],
  scanner: (input) => {
    const scanner = new FilesystemScanner(input.source as FilesystemSourceSpec, input.env);
    return () => scanner.scan();
  },
});

export const filesystemSource = fromCallback(filesystemSourceBody);
