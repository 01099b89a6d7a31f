import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { fixtureCommand, invoke, runCli, textOf, useE2E, within } from "../helpers/cli.js";
import { connectViewer, inspectorUrl } from "../helpers/inspector-viewer.js";
import { waitFor } from "../helpers/wait.js";

/**
 * `--inspect`: the built hangar serves the inspector page and its WebSocket on 127.0.0.1, and a
 * client connected like the page connects sees every actor — and no secret, and no tool argument.
 */
const e2e = useE2E();

const SECRET = "sk-live-SECRET-1234567890";
/** Under an innocent name: masked because the value looks like a token (the redactor registers it). */
const OTHER_SECRET = "tok-OTHER-SECRET-0987654321";
const ARGUMENT = "argument-text-4f1c9e";

function providerConfig(marker: string): object {
  return {
    providers: {
      echo: {
        command: fixtureCommand("echo-server.js", marker),
        env: { API_KEY: SECRET, UPSTREAM: OTHER_SECRET, PLAIN: "visible-name-ok" },
        tools: [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
      },
    },
  };
}

describe("--inspect", () => {
  it("streams @xstate.actor, @xstate.event and @xstate.snapshot of the provider's actor, with no secret and no tool argument", async () => {
    const hangar = await e2e.start(providerConfig(e2e.marker()), { args: ["--inspect", "0"] });
    const url = await inspectorUrl(hangar);

    // The page itself: the Stately inspector in an iframe, fed over the relay's WebSocket.
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="https://stately.ai/inspect"');

    const viewer = await connectViewer(url);
    const result = await invoke(hangar.client, "echo", "echo", { text: ARGUMENT });
    expect(textOf(result)).toBe(ARGUMENT);

    const providerSession = (): string | undefined =>
      viewer.parsed().find((m) => m.type === "@xstate.actor" && m.name === "provider:echo")?.sessionId;
    // Wait for the snapshot that shows the provider READY after the call.
    await waitFor(
      () => viewer.parsed().some((m) => m.type === "@xstate.snapshot" && m.sessionId === providerSession() && m.snapshot?.context?.state === "READY"),
      5_000,
      "a READY snapshot of provider:echo",
    );
    const messages = viewer.parsed();
    const session = providerSession();
    expect(session).toBeDefined();
    const ofProvider = messages.filter((m) => m.sessionId === session);
    expect(new Set(ofProvider.map((m) => m.type))).toEqual(new Set(["@xstate.actor", "@xstate.event", "@xstate.snapshot"]));
    expect(messages.every((m) => typeof m._version === "string")).toBe(true);
    // The supervisor was announced too, and the connection actor as the provider's child.
    expect(messages.some((m) => m.type === "@xstate.actor" && m.name === "hangar")).toBe(true);
    expect(messages.some((m) => m.type === "@xstate.actor" && m.name === "connection" && m.parentId === session)).toBe(true);
    // The call reached the provider's actor, its arguments hidden.
    const invokeEvent = ofProvider.find((m) => m.type === "@xstate.event" && m.event?.type === "INVOKE");
    expect(invokeEvent?.event?.call?.tool).toBe("echo");
    expect(invokeEvent?.event?.call?.arguments).toEqual(expect.stringContaining("hidden"));

    const everything = viewer.messages.join("\n");
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(OTHER_SECRET);
    expect(everything).not.toContain("SECRET");
    expect(everything).not.toContain(ARGUMENT);
    // Env keys stay visible, their values do not.
    expect(everything).toContain('"API_KEY":"***"');
    expect(everything).not.toContain("visible-name-ok");
    viewer.socket.close();
  });

  it("shows tool arguments with --inspect-arguments, secrets still masked", async () => {
    const hangar = await e2e.start(providerConfig(e2e.marker()), { args: ["--inspect", "0", "--inspect-arguments"] });
    const viewer = await connectViewer(await inspectorUrl(hangar));
    await invoke(hangar.client, "echo", "echo", { text: `${ARGUMENT} ${OTHER_SECRET}`, api_key: SECRET });
    await waitFor(() => viewer.messages.some((m) => m.includes(ARGUMENT)), 5_000, "the argument in a message");
    const everything = viewer.messages.join("\n");
    expect(everything).toContain(`${ARGUMENT} ***`);
    expect(everything).toContain('"api_key":"***"');
    expect(everything).not.toContain("SECRET");
    viewer.socket.close();
  });

  it("refuses a WebSocket from another origin (a web page in the same browser)", async () => {
    const hangar = await e2e.start(providerConfig(e2e.marker()), { args: ["--inspect", "0"] });
    const url = await inspectorUrl(hangar);
    const socket = new WebSocket(url.replace(/^http/, "ws"), { origin: "https://evil.example" });
    const status = await within(
      new Promise<number | undefined>((resolve) => {
        socket.once("unexpected-response", (_request, response) => {
          resolve(response.statusCode);
        });
        socket.once("error", () => {
          resolve(undefined);
        });
        socket.once("open", () => {
          resolve(101);
        });
      }),
      5_000,
      "the refusal",
    );
    socket.terminate();
    expect(status).toBe(403);
  });

  it("exits promptly on stdin EOF with a viewer connected, telling the viewer it went away", async () => {
    const hangar = await e2e.start(providerConfig(e2e.marker()), { args: ["--inspect", "0"] });
    const viewer = await connectViewer(await inspectorUrl(hangar));
    await invoke(hangar.client, "echo", "echo", { text: "warm" });
    const started = performance.now();
    hangar.endStdin();
    const exit = await within(hangar.exited, 5_000, "the hangar to exit after stdin EOF");
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(await within(viewer.closed, 2_000, "the viewer's socket to close")).toBe(1001);
  });

  it("exits 1 and says so when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const config = e2e.writeConfig(providerConfig(e2e.marker()));
      const run = await runCli(["--config", config, "--inspect", String(port)]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot serve the inspector on 127.0.0.1:${port}`);
      expect(run.stdout).toBe("");
    } finally {
      blocker.close();
    }
  });
});
