import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { callTool, fixtureCommand, textOf, useE2E } from "../helpers/cli.js";
import { HEAP_SPACES, heapSpace } from "../helpers/heap-spaces.js";

/**
 * Start-up allocates mostly long-lived objects, which V8 takes as a reason to grow its young
 * generation to 16 MB semi-spaces (≈ 14 MB resident in a hangar that mostly waits). The hangar's
 * entry point keeps it at its initial 1 MB semi-spaces. Read from the hangar's own V8 through a
 * preload that writes its heap space statistics on SIGUSR2.
 */
const e2e = useE2E();
const MB = 1024 * 1024;

function providers(marker: string, count: number) {
  const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, { command: fixtureCommand("echo-server.js", marker), tools }]));
}

describe("V8's young generation", () => {
  it("stays at its initial size through start-up (100 providers) and calls", async () => {
    const file = join(e2e.dir(), "spaces-small.json");
    const hangar = await e2e.start({ providers: providers(e2e.marker(), 100) }, { env: { NODE_OPTIONS: `--import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file } });
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    expect(textOf(await callTool(hangar.client, "p0__echo", { text: "hi" }))).toBe("hi");
    // Two semi-spaces of 1 MB (V8's initial size); grown, they are 2 × 16 MB.
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeLessThanOrEqual(2 * MB);
  });

  it("stays at its initial size once the audit writer thread runs (its isolate resets V8's growth factor)", async () => {
    const file = join(e2e.dir(), "spaces-thread.json");
    const marker = e2e.marker();
    // batch_ms 10: a batch of 5 events (500 a second) starts the thread.
    const audit = { path: join(e2e.dir(), `audit-${marker}.db`), batch_ms: 10, writer_thread: true };
    const hangar = await e2e.start({ providers: providers(marker, 100), audit }, { env: { NODE_OPTIONS: `--import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file } });
    const caller = async (worker: number): Promise<void> => {
      for (let index = 0; index < 100; index += 1) {
        const text = `${worker}-${index}`;
        expect(textOf(await callTool(hangar.client, "p0__echo", { text }))).toBe(text);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, worker) => caller(worker)));
    await hangar.waitForStderr("the audit trail is written on its worker thread", 5_000);
    // Calls and listings after the thread is up: enough churn for V8 to grow an unchecked young generation.
    await Promise.all(Array.from({ length: 8 }, (_, worker) => caller(worker)));
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeLessThanOrEqual(2 * MB);
  });

  it("is the user's to size when they tune it themselves", async () => {
    const file = join(e2e.dir(), "spaces-tuned.json");
    const hangar = await e2e.start(
      { providers: providers(e2e.marker(), 100) },
      { env: { NODE_OPTIONS: `--import=${HEAP_SPACES} --max-semi-space-size=4`, HEAP_SPACES_FILE: file } },
    );
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    // Grown as V8 sees fit, up to the user's 4 MB semi-spaces.
    expect((await heapSpace(hangar, file, "new_space")).space_size).toBeGreaterThan(2 * MB);
  });
});
