import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createActor, fromCallback } from "xstate";
import { ActorInspector } from "../../src/observability/inspector/inspector.js";
import { STATELY_INSPECT_VERSION } from "../../src/observability/inspector/messages.js";
import { InspectorRelay } from "../../src/observability/inspector/relay.js";
import { createSanitizer } from "../../src/observability/inspector/sanitize.js";
import { HangarRuntime } from "../../src/runtime/hangar-runtime.js";
import { REPO_ROOT } from "../helpers/cli.js";
import { instantConnection } from "../helpers/instant-connection.js";
import { testSpec } from "../helpers/specs.js";
import { turnEnds, waitFor } from "../helpers/wait.js";

interface Message {
  type: string;
  name?: string;
  sessionId: string;
  parentId?: string;
  definition?: string;
  snapshot?: { value?: unknown };
}

const relays: InspectorRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
});

async function listen(): Promise<InspectorRelay> {
  const relay = await InspectorRelay.listen(0);
  relays.push(relay);
  return relay;
}

function get(relay: InspectorRelay, host: string): Promise<{ status: number | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: relay.port, path: "/", headers: { host } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      response.on("end", () => {
        resolve({ status: response.statusCode, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

async function viewer(relay: InspectorRelay): Promise<{ messages: Message[]; socket: WebSocket }> {
  const socket = new WebSocket(relay.wsUrl, { origin: `http://localhost:${relay.port}` });
  const messages: Message[] = [];
  socket.on("message", (data: Buffer) => messages.push(JSON.parse(data.toString("utf8")) as Message));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return { messages, socket };
}

describe("inspector relay", () => {
  it("listens on 127.0.0.1 only and serves the page to its own host names only", async () => {
    const relay = await listen();
    expect(relay.url).toBe(`http://127.0.0.1:${relay.port}/`);
    const page = await get(relay, `127.0.0.1:${relay.port}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("https://stately.ai/inspect");
    expect((await get(relay, `localhost:${relay.port}`)).status).toBe(200);
    // A DNS-rebound name pointing at 127.0.0.1 gets nothing.
    expect((await get(relay, `attacker.example:${relay.port}`)).status).toBe(403);
  });

  it("replays every live actor (parents first) to a new viewer, then streams; closes viewers with 1001", async () => {
    const relay = await listen();
    const inspector = new ActorInspector({ sink: relay, sanitizer: createSanitizer({ includeArguments: false }) });
    relay.onClient((send) => {
      inspector.replay(send);
    });
    const runtime = new HangarRuntime(
      { source: "test.yaml", expose: "both", providers: [testSpec({ id: "a" }), testSpec({ id: "b" })] },
      { connection: instantConnection, inspect: inspector.inspect },
    ).start();

    const { messages, socket } = await viewer(relay);
    const closed = new Promise<number>((resolve) => socket.once("close", resolve));
    await waitFor(() => messages.length >= 3, 2_000, "the replay");
    expect(messages.slice(0, 3).map((m) => [m.type, m.name])).toEqual([
      ["@xstate.actor", "hangar"],
      ["@xstate.actor", "provider:a"],
      ["@xstate.actor", "provider:b"],
    ]);
    const hangar = messages[0];
    expect(messages[1]?.parentId).toBe(hangar?.sessionId);
    // The definition is the whole chart, not cut at some depth.
    expect(messages[1]?.definition).toContain("HALF_OPEN");
    expect(messages[1]?.definition).toContain('"IDLE.CHECK"');

    await runtime.invoke("a", "t", {});
    const a = messages[1]?.sessionId;
    await waitFor(() => messages.some((m) => m.type === "@xstate.snapshot" && m.sessionId === a), 2_000, "a snapshot of provider:a");
    expect(messages.some((m) => m.type === "@xstate.event" && m.sessionId === a)).toBe(true);
    expect(messages.some((m) => m.type === "@xstate.actor" && m.name === "connection" && m.parentId === a)).toBe(true);

    await runtime.shutdown();
    inspector.stop();
    await relay.close();
    expect(await closed).toBe(1001);
  });

  it("queues nothing while nobody watches", () => {
    const sink = { clientCount: 0, sent: 0, broadcast: () => (sink.sent += 1) };
    const inspector = new ActorInspector({ sink, sanitizer: createSanitizer({ includeArguments: false }) });
    const actor = createActor(fromCallback(() => undefined), { inspect: inspector.inspect }).start();
    actor.send({ type: "X" });
    expect((inspector as unknown as { queue: unknown[] }).queue).toHaveLength(0);
    actor.stop();
  });

  it("after a burst that overflows its queue, resends every live actor's current state instead of the lost events", async () => {
    const sent: { type: string; name?: string }[] = [];
    const sink = { clientCount: 1, broadcast: (message: string) => sent.push(JSON.parse(message) as { type: string; name?: string }) };
    const inspector = new ActorInspector({ sink, sanitizer: createSanitizer({ includeArguments: false }), maxQueued: 5 });
    const runtime = new HangarRuntime(
      { source: "test.yaml", expose: "both", providers: [testSpec({ id: "a" })] },
      { connection: instantConnection, inspect: inspector.inspect },
    ).start();
    // Calls resolved through microtasks only: the event loop never turns, the queue overflows.
    for (let i = 0; i < 5; i += 1) await runtime.invoke("a", "t", {});
    await turnEnds();
    const actors = sent.filter((m) => m.type === "@xstate.actor").map((m) => m.name);
    expect(actors).toEqual(expect.arrayContaining(["hangar", "provider:a", "connection"]));
    expect(sent.length).toBeLessThanOrEqual(3 + 5);
    await runtime.shutdown();
    inspector.stop();
  });

  it("speaks the protocol version of the installed @statelyai/inspect", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@statelyai", "inspect", "package.json"), "utf8")) as { version: string };
    expect(STATELY_INSPECT_VERSION).toBe(pkg.version);
  });
});
