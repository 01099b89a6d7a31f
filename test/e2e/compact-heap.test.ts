import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureCommand, useE2E } from "../helpers/cli.js";
import { HEAP_SPACES, heapSpace } from "../helpers/heap-spaces.js";

/**
 * A hangar compacts its heap once start-up is over (src/runtime/compact-heap.ts): start-up's
 * garbage, much of it promoted before it died, otherwise leaves the old generation's pages a
 * quarter empty and resident. Read from the hangar's own V8 after a full GC (V8's ordinary one,
 * which frees but hardly moves), through the heap-spaces preload.
 */
const e2e = useE2E();
const MB = 1024 * 1024;

describe("the heap after start-up", () => {
  it("holds about what is live: start-up's garbage left no half-empty pages (200 providers)", async () => {
    const file = join(e2e.dir(), "spaces-compacted.json");
    const tools = [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }];
    const marker = e2e.marker();
    const providers = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`p${i}`, { command: fixtureCommand("echo-server.js", marker), tools }]));
    const hangar = await e2e.start(
      { providers },
      { env: { NODE_OPTIONS: `--expose-gc --import=${HEAP_SPACES}`, HEAP_SPACES_FILE: file, HEAP_SPACES_GC: "1" } },
    );
    for (let i = 0; i < 20; i++) await hangar.client.listTools();
    const space = await heapSpace(hangar, file, "old_space");
    // Without the compaction: ≈ 6 MB of the old generation's pages free after the GC (24 MB for 18 live).
    expect(space.space_size - space.space_used_size).toBeLessThan(3 * MB);
  });
});
