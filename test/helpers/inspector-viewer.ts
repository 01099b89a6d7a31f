import { WebSocket } from "ws";
import { within } from "./cli.js";

/** A WebSocket client of the `--inspect` relay, connected the way the served page connects. */
export interface InspectorMessage {
  type: string;
  name?: string;
  sessionId: string;
  parentId?: string;
  event?: { type: string; call?: { tool?: string; arguments?: unknown } };
  snapshot?: { value?: unknown; context?: { state?: string } };
  _version?: string;
}

export interface Viewer {
  messages: string[];
  parsed: () => InspectorMessage[];
  closed: Promise<number>;
  socket: WebSocket;
}

const INSPECTOR_URL = /inspector: open (http:\/\/127\.0\.0\.1:\d+\/)/;

/** The inspector page's URL, from the hangar's log. */
export async function inspectorUrl(hangar: { stderr: () => string; waitForStderr: (text: string | RegExp) => Promise<void> }): Promise<string> {
  await hangar.waitForStderr(INSPECTOR_URL);
  const match = INSPECTOR_URL.exec(hangar.stderr());
  if (!match?.[1]) throw new Error("no inspector URL in the log");
  return match[1];
}

/** Connects the way the served page does: to the same host, with the page's Origin. */
export async function connectViewer(pageUrl: string): Promise<Viewer> {
  const socket = new WebSocket(pageUrl.replace(/^http/, "ws"), { origin: pageUrl.replace(/\/$/, "") });
  const messages: string[] = [];
  socket.on("message", (data: Buffer) => messages.push(data.toString("utf8")));
  const closed = new Promise<number>((resolve) => socket.on("close", (code) => {
    resolve(code);
  }));
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once("open", () => {
        resolve();
      });
      socket.once("error", reject);
    }),
    5_000,
    "the inspector WebSocket to open",
  );
  return { messages, parsed: () => messages.map((text) => JSON.parse(text) as InspectorMessage), closed, socket };
}
