import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixtureCommand, useE2E } from "../helpers/cli.js";
import { useRawHangars } from "../helpers/raw-stdio.js";

/**
 * A tools/call by a flat name made before the provider's own tools/list has come — here the first
 * message after initialize, while a warm start runs — waits for that list instead of being refused
 * as unknown; a name the list does not have, or whose prefix names no provider, is refused. The
 * built hangar on real pipes; the provider (no predefined tools) answers initialize only when the
 * test lets it, so the calls are read while its list is surely pending.
 */
const e2e = useE2E();
const startHangar = useRawHangars(e2e);

describe("a call in the window before the live tool list", () => {
  it("is held until the starting provider's list comes, then served — or refused as unknown when the list lacks it", async () => {
    const marker = e2e.marker();
    const gate = join(e2e.dir(), `initialize-${marker}`);
    const hangar = startHangar({
      providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), warm: true, env: { FAULT_INIT_WAIT_FOR: gate } } },
    });
    await hangar.initialize();
    hangar.write({ jsonrpc: "2.0", id: "held", method: "tools/call", params: { name: "faulty__echo", arguments: { text: "held for the list" } } });
    hangar.write({ jsonrpc: "2.0", id: "absent", method: "tools/call", params: { name: "faulty__no_such_tool", arguments: {} } });
    // No provider by that prefix: refused at once. Read after the two above, so they were read before its answer.
    const noProvider = await hangar.request("no-provider", "tools/call", { name: "nobody__echo", arguments: {} });
    expect(noProvider.error?.code).toBe(-32602);
    expect(noProvider.error?.message).toMatch(/^unknown tool 'nobody__echo'/);
    // faulty cannot have listed its tools (its initialize waits for the gate): its calls wait, unanswered.
    expect(hangar.messages.filter((message) => message.id === "held" || message.id === "absent")).toEqual([]);

    writeFileSync(gate, "");
    const held = await hangar.next((message) => message.id === "held", "the held call's answer", 30_000);
    expect(held.result).toEqual({ content: [{ type: "text", text: "held for the list" }] });
    const absent = await hangar.next((message) => message.id === "absent", "the answer for a name the list lacks", 30_000);
    expect(absent.error?.code).toBe(-32602);
    expect(absent.error?.message).toMatch(/^unknown tool 'faulty__no_such_tool'/);
    // The list is known now: a name it lacks is refused at once.
    const after = await hangar.request("after", "tools/call", { name: "faulty__still_missing", arguments: {} });
    expect(after.error?.message).toMatch(/^unknown tool 'faulty__still_missing'/);
  });

  it("is held after the call that started a provider with predefined tools, until its own list comes (READY before the list)", async () => {
    const marker = e2e.marker();
    const gate = join(e2e.dir(), `list-${marker}`);
    const echo = { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } };
    const hangar = startHangar({
      providers: { faulty: { command: fixtureCommand("faulty-server.js", marker), tools: [echo], env: { FAULT_LIST_WAIT_FOR: gate } } },
    });
    await hangar.initialize();
    // The predefined tool starts the provider and is answered before its list (which waits for the gate).
    const first = await hangar.request("first", "tools/call", { name: "faulty__echo", arguments: { text: "predefined" } });
    expect(first.result).toEqual({ content: [{ type: "text", text: "predefined" }] });
    hangar.write({ jsonrpc: "2.0", id: "held", method: "tools/call", params: { name: "faulty__pid", arguments: {} } });
    const noProvider = await hangar.request("no-provider", "tools/call", { name: "nobody__pid", arguments: {} });
    expect(noProvider.error?.message).toMatch(/^unknown tool 'nobody__pid'/);
    expect(hangar.messages.filter((message) => message.id === "held")).toEqual([]);

    writeFileSync(gate, "");
    const held = await hangar.next((message) => message.id === "held", "the held call's answer", 30_000);
    expect((held.result as { content: { text: string }[] } | undefined)?.content[0]?.text).toMatch(/^\d+$/);
  });
});
