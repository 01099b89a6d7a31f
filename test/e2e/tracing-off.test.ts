import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { callTool, FIXTURES, fixtureCommand, textOf, useE2E } from "../helpers/cli.js";
import { closedPortUrl, startReceiver, type Receiver } from "../helpers/otlp-receiver.js";

/**
 * What tracing costs when it is off (nothing: no SDK module loaded, no exporter, no connection),
 * and what a broken collector or Langfuse host costs when it is on (nothing a call can notice).
 * The hangar runs with a preload that records every module it resolves.
 */
const e2e = useE2E();
const receivers: Receiver[] = [];

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

async function receiver(options: { hang?: boolean } = {}): Promise<Receiver> {
  const started = await startReceiver(options);
  receivers.push(started);
  return started;
}

const RECORD_LOADS = pathToFileURL(join(FIXTURES, "record-loads.js")).href;
/** Module specifiers that only a hangar with tracing or Langfuse on may resolve. */
const SDK_MODULES = /@opentelemetry\/(sdk-trace|exporter-trace|resources)|@langfuse\/|tracing\/sdk\.js/;

function recordingEnv(file: string, extra: Record<string, string> = {}): Record<string, string> {
  return { NODE_OPTIONS: `--import=${RECORD_LOADS}`, RECORD_LOADS_FILE: file, OTEL_BSP_SCHEDULE_DELAY: "50", ...extra };
}

function loadedModules(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : [];
}

function provider(marker: string) {
  return { echo: { command: fixtureCommand("meta-server.js", marker), tools: [{ name: "echo" }] } };
}

describe("tracing off", () => {
  it("loads no SDK, creates no exporter and connects nowhere, though every endpoint points at a live receiver", async () => {
    const collector = await receiver();
    const loads = join(e2e.dir(), "loads-off.txt");
    const hangar = await e2e.start(
      {
        providers: provider(e2e.marker()),
        observability: {
          tracing: { enabled: false, otlp_endpoint: collector.url },
          langfuse: { enabled: false, host: collector.url, public_key: "pk-lf-test", secret_key: "sk-lf-test" },
        },
      },
      { env: recordingEnv(loads, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, LANGFUSE_BASE_URL: collector.url }) },
    );
    for (let i = 0; i < 3; i++) expect(textOf(await callTool(hangar.client, "echo__echo", { text: `call ${i}` }))).toBe(`call ${i}`);
    await hangar.close();

    const modules = loadedModules(loads);
    expect(modules.length, "the preload recorded the hangar's modules").toBeGreaterThan(10);
    expect(modules.filter((specifier) => SDK_MODULES.test(specifier))).toEqual([]);
    expect(collector.connections()).toBe(0);
    expect(hangar.stderr()).not.toContain("tracing on");
  });

  it("the same hangar with tracing on loads the SDK and exports (the check above can see both)", async () => {
    const collector = await receiver();
    const loads = join(e2e.dir(), "loads-on.txt");
    const hangar = await e2e.start({ providers: provider(e2e.marker()), observability: { tracing: { otlp_endpoint: collector.url } } }, {
      // Switched on by the environment alone.
      env: recordingEnv(loads, { MCP_TRACING_ENABLED: "true" }),
    });
    await callTool(hangar.client, "echo__echo", { text: "traced" });
    await collector.waitForSpan((span) => span.name === "mcp.tools/call echo", "the call's span");
    await hangar.close();
    expect(loadedModules(loads)).toContain("@opentelemetry/exporter-trace-otlp-http");
    expect(collector.connections()).toBeGreaterThan(0);
  });
});

describe("an unreachable collector or Langfuse host", () => {
  it("neither fails nor delays calls, and does not hold the shutdown", async () => {
    const hanging = await receiver({ hang: true });
    const refused = await closedPortUrl();
    const hangar = await e2e.start(
      {
        providers: provider(e2e.marker()),
        observability: {
          tracing: { enabled: true, otlp_endpoint: hanging.url },
          langfuse: { enabled: true, host: refused, public_key: "pk-lf-test", secret_key: "sk-lf-test" },
        },
      },
      { env: { OTEL_BSP_SCHEDULE_DELAY: "20", LANGFUSE_FLUSH_INTERVAL: "0.02" } },
    );
    await callTool(hangar.client, "echo__echo", { text: "cold start" });
    const durations: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      expect(textOf(await callTool(hangar.client, "echo__echo", { text: `call ${i}` }))).toBe(`call ${i}`);
      durations.push(performance.now() - started);
    }
    // The exporter really tried (and hangs on the collector) while the calls went on.
    expect(hanging.connections()).toBeGreaterThan(0);
    // An export to the hanging collector waits 3 s before it gives up: a call held by one would
    // take that long. (Well under it, with room for a loaded test machine.)
    expect(Math.max(...durations)).toBeLessThan(2_000);

    const closing = performance.now();
    await hangar.close();
    expect(await hangar.exited).toEqual({ code: 0, signal: null });
    // The flush at exit gives up after 2 s.
    expect(performance.now() - closing).toBeLessThan(4_500);
  });
});
