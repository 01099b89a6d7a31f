// A built hangar serving the echo fixture, with a probe preloaded into it (node --import
// bench/lib/<probe>?dir=DIR&…): what bench/pipe-allocation.js and bench/pipe-census.js share. The
// probe measures between two SIGUSR2 (see probe-signal.js) and writes DIR/<pid>.json;
// `startProbe` / `stopProbe` send them, the second waiting for the result.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { callTool, closeAll, connectHangar, PROVIDERS, providerEntry, writeConfig } from "./clients.js";

/** `name` names the temp dir and the provider's marker; `params` are the probe's query (dir is added). */
export async function startProbedHangar(name, probeFile, params = {}) {
  const dir = mkdtempSync(join(tmpdir(), `hangar-${name}-`));
  const probe = pathToFileURL(join(import.meta.dirname, probeFile));
  probe.searchParams.set("dir", dir);
  for (const [key, value] of Object.entries(params)) probe.searchParams.set(key, value);
  const marker = `${name}-${process.pid}`;
  const config = writeConfig(dir, "hangar", { fixture: { ...providerEntry("fixture", marker, name), tools: PROVIDERS.fixture.tools } });
  // BENCH_HANGAR_NODE_FLAGS as in run.js: node flags for the hangar process only.
  const flags = process.env.BENCH_HANGAR_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const hangar = await connectHangar(config, { marker, stateDir: join(dir, "state"), nodeArgs: [...flags, "--import", probe.href] });
  return {
    dir,
    pid: hangar.pid,
    /** One fixture__echo call through the hangar. */
    call: () => callTool(hangar.client, "fixture__echo", PROVIDERS.fixture.args),
    /** The probe starts measuring (on the hangar's next turn: it is idle until called). */
    async startProbe() {
      process.kill(hangar.pid, "SIGUSR2");
      await sleep(100);
    },
    /** The probe stops and writes its figures; they are returned once written. */
    async stopProbe() {
      process.kill(hangar.pid, "SIGUSR2");
      const result = join(dir, `${hangar.pid}.json`);
      while (!existsSync(result)) await sleep(20);
      return JSON.parse(readFileSync(result, "utf8"));
    },
    async close() {
      await hangar.close();
      await closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
