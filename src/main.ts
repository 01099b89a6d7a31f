#!/usr/bin/env node
// The entry point does one thing before anything else loads: it keeps V8's young generation
// small (see runtime/young-generation.ts). The hangar's modules are imported after that — a
// static import would load them all before this module's first line runs.
import "./runtime/young-generation.js";

const { run } = await import("./cli/main.js");
run(process.argv.slice(2));
