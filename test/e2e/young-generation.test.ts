import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, eventually, fixtureCommand, textOf, useE2E, type RunningHangar } from "../helpers/cli.js";
import { HEAP_SPACES, heapSpace } from "../helpers/heap-spaces.js";

/**
 * Start-up allocates mostly long-lived objects, which V8 takes as a reason to grow its young
 * generation to 16 MB semi-spaces (≈ 14 MB resident in a hangar that mostly waits). The hangar's
 * entry point keeps it at its initial 1 MB semi-spaces through start-up; serving, it may grow one
 * step, to 2 MB semi-spaces, and no further (src/runtime/young-generation.ts). Read from the
 * hangar's own V8 through a preload that writes its heap space statistics on SIGUSR2.
 */
const e2e = useE2E();
const MB = 1024 * 1024;
/** What a hangar's young generation may grow to while it serves: two 2 MB semi-spaces. */
const SERVING = 4 * MB;

/** `callers` loops of `calls` echo calls each, every answer checked. */
async function load(hangar: RunningHangar, callers: number, calls: number): Promise<void> {
  const caller = async (worker: number): Promise<void> => {
    for (let index = 0; index < calls; index += 1) {
      const text = `${worker}-${index}`;
      expect(textOf(await callTool(hangar.client, "p0__echo", { text }))).toBe(text);
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, worker) => caller(worker)));
}

function providers(marker: string, count: number) {
  const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, { command: fixtureCommand("echo-server.js", marker), tools }]));
}

describe("V8's young generation", () => {
  it("stays at its initial size through start-up (100 providers)", async () => {
    const file = join(e2e.dir(), "spaces-small.json");
    const hangar = await e2e.start({ providers: providers(e2e.marker(), 100) }, { env: { NODE_OPTIONS: `--import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file } });
    // Two semi-spaces of 1 MB (V8's initial size); grown, they are 2 × 16 MB.
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeLessThanOrEqual(2 * MB);
  });

  it("grows one step under load, to 2 MB semi-spaces, and no further", async () => {
    const file = join(e2e.dir(), "spaces-serving.json");
    const hangar = await e2e.start({ providers: providers(e2e.marker(), 100) }, { env: { NODE_OPTIONS: `--import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file } });
    // Calls until V8 has grown it (it grows once scavenges have kept as many bytes as it holds).
    const grown = await eventually(
      async () => {
        await load(hangar, 16, 50);
        const size = (await heapSpace(hangar, file, "new_space")).space_size;
        return size > 2 * MB ? size : undefined;
      },
      60_000,
      "the young generation to grow under load",
    );
    expect(grown).toBeLessThanOrEqual(SERVING);
    // As much load again, and more listings: unchecked, V8 would go on to 2 × 16 MB.
    await load(hangar, 16, 400);
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeLessThanOrEqual(SERVING);
  });

  it("stays within its serving size once the audit writer thread runs (its isolate resets V8's growth factor)", async () => {
    const file = join(e2e.dir(), "spaces-thread.json");
    const marker = e2e.marker();
    // batch_ms 10: a batch of 5 events (500 a second) starts the thread.
    const audit = { path: join(e2e.dir(), `audit-${marker}.db`), batch_ms: 10, writer_thread: true };
    const hangar = await e2e.start({ providers: providers(marker, 100), audit }, { env: { NODE_OPTIONS: `--import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file } });
    await load(hangar, 8, 100);
    await hangar.waitForStderr("the audit trail is written on its worker thread", 5_000);
    // Calls and listings after the thread is up: enough churn for V8 to grow an unchecked young generation.
    await load(hangar, 8, 100);
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeLessThanOrEqual(SERVING);
  });

  it("is the user's to size when they tune it themselves", async () => {
    const file = join(e2e.dir(), "spaces-tuned.json");
    const hangar = await e2e.start(
      { providers: providers(e2e.marker(), 100) },
      { env: { NODE_OPTIONS: `--import=${HEAP_SPACES} --max-semi-space-size=4`, HEAP_SPACES_FILE: file } },
    );
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    // Grown as V8 sees fit, up to the user's 4 MB semi-spaces (through start-up, which the hangar's own sizing would not).
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeGreaterThan(2 * MB);
  });
});
