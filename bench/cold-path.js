// What a cold start's first call costs the hangar before the provider is spawned, in a fresh
// process each time (what runs once per process is what this measures): a provider session's
// MCP client (the SDK's Client, which builds its own ajv unless given a validator), and the
// argument validator's first compile of a tool's inputSchema per dialect (2020-12, MCP's default;
// draft-07, what most servers emit). Medians of fresh processes, ms of wall time.
// `node bench/cold-path.js [processes]` (default 7); BENCH_HANGAR_JS picks another build's dist.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { MAIN_JS } from "./lib/clients.js";
import { median } from "./lib/stats.js";

const DIST = dirname(MAIN_JS);

/** Run in the child: one measurement, printed as JSON. */
async function measureOnce() {
  const elapsed = (work) => {
    const started = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const { ArgumentValidator } = await import(pathToFileURL(join(DIST, "security", "argument-validator.js")).href);
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  let providerClient;
  try {
    ({ newProviderClient: providerClient } = await import(pathToFileURL(join(DIST, "actors", "provider-client.js")).href));
  } catch {
    // A build from before provider-client.js: its sessions made the SDK's default client.
    providerClient = () => new Client({ name: "mcp-hangar", version: "0" }, { capabilities: {} });
  }
  const validator = new ArgumentValidator();
  const schema = (n, $schema) => ({ ...($schema ? { $schema } : {}), type: "object", properties: { text: { type: "string", description: `t${n}` } }, required: ["text"] });
  const result = {
    "first provider client": elapsed(() => providerClient()),
    "second provider client": elapsed(() => providerClient()),
    "first 2020-12 schema compiled": elapsed(() => validator.validate(schema(1), { text: "x" })),
    "second 2020-12 schema compiled": elapsed(() => validator.validate(schema(2), { text: "x" })),
    "first draft-07 schema compiled": elapsed(() => validator.validate(schema(3, "http://json-schema.org/draft-07/schema#"), { text: "x" })),
  };
  process.stdout.write(JSON.stringify(result));
}

if (process.argv[2] === "--once") {
  await measureOnce();
} else {
  const processes = Number(process.argv[2] ?? 7);
  const samples = new Map();
  for (let i = 0; i < processes; i++) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--once"], { encoding: "utf8", env: process.env });
    for (const [name, ms] of Object.entries(JSON.parse(out))) samples.set(name, [...(samples.get(name) ?? []), ms]);
  }
  const lines = [...samples].map(([name, values]) => {
    const range = `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
    return `  ${name.padEnd(32)} ${median(values).toFixed(2).padStart(8)}  (${range})`;
  });
  process.stdout.write(`cold path of ${MAIN_JS}, ${processes} fresh processes, median (min–max) ms:\n${lines.join("\n")}\n`);
}
