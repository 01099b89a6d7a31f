import { spawn, type ChildProcess } from "node:child_process";
import { dirname } from "node:path";
import { LineSplitter } from "../../src/actors/line-splitter.js";
import { afterEach } from "vitest";
import { MAIN_JS, NODE, testStateDir, within, type E2E, type ExitInfo } from "./cli.js";
import { waitFor } from "./wait.js";

/** One line the hangar wrote on stdout, parsed (every line must be JSON: stdout carries MCP only). */
export type RawMessage = Record<string, unknown> & { id?: unknown; method?: unknown; result?: unknown; error?: { code: number; message: string } };

/**
 * The built hangar over its own pipes with no MCP client in between: the test writes lines as
 * they are (malformed ones too) and reads every line the hangar answers, as it came.
 */
export interface RawHangar {
  pid: number;
  /** Writes a message (an object is written as one JSON line, a string as it is). */
  write: (message: object | string) => void;
  /** Every message read so far, in order. */
  messages: RawMessage[];
  /** The same messages as the lines they came in (exact text, without the newline). */
  lines: string[];
  /** Resolves with the first message (already read or still to come) that `match` accepts. */
  next: (match: (message: RawMessage) => boolean, what: string, timeoutMs?: number) => Promise<RawMessage>;
  /** Sends a request and resolves with the answer carrying its id. */
  request: (id: string | number, method: string, params?: object) => Promise<RawMessage>;
  /** initialize + notifications/initialized. */
  initialize: () => Promise<void>;
  stderr: () => string;
  endStdin: () => void;
  /** Closes the test's end of the hangar's stdout: its next write fails (EPIPE), as when its client is gone. */
  closeStdout: () => void;
  /** Stops reading the hangar's stdout, as a slow client: once the pipe is full, the hangar's writes queue up in it. */
  pauseReading: () => void;
  /** Reads the hangar's stdout again. */
  resumeReading: () => void;
  exited: Promise<ExitInfo>;
  /** SIGKILL when still running (cleanup after a failed test). */
  kill: () => void;
}

export function startRawHangar(configPath: string): RawHangar {
  const child: ChildProcess = spawn(NODE, [MAIN_JS, "--config", configPath], {
    cwd: dirname(configPath),
    env: { ...process.env, MCP_HANGAR_STATE_DIR: testStateDir() },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const { stdin, stdout, stderr } = child;
  if (child.pid === undefined || stdin === null || stdout === null || stderr === null) throw new Error("could not spawn the hangar");
  const messages: RawMessage[] = [];
  const lines: string[] = [];
  const errors: string[] = [];
  const splitter = new LineSplitter(
    64 * 1024 * 1024,
    (line) => {
      const text = line.toString("utf8");
      try {
        messages.push(JSON.parse(text) as RawMessage);
        lines.push(text);
      } catch {
        errors.push(`a line on the hangar's stdout is not JSON: ${text.slice(0, 200)}`);
      }
    },
    () => errors.push("an over-long line on the hangar's stdout"),
  );
  stdout.on("data", (chunk: Buffer) => {
    splitter.push(chunk);
  });
  const log: string[] = [];
  stderr.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
  stdin.on("error", () => undefined); // the hangar may be gone before the test stops writing
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
    });
  });
  const stderrText = (): string => log.join("");
  const next = async (match: (message: RawMessage) => boolean, what: string, timeoutMs = 10_000): Promise<RawMessage> => {
    try {
      return await waitFor(
        () => {
          if (errors.length > 0) throw new Error(errors.join("\n"));
          return messages.find(match);
        },
        timeoutMs,
        what,
      );
    } catch (error) {
      throw new Error(`${String(error)}\n--- read so far ---\n${messages.map((m) => JSON.stringify(m).slice(0, 300)).join("\n")}\n--- hangar stderr ---\n${stderrText()}`);
    }
  };
  const write = (message: object | string): void => {
    stdin.write(typeof message === "string" ? message : `${JSON.stringify(message)}\n`);
  };
  const request = (id: string | number, method: string, params?: object): Promise<RawMessage> => {
    write({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    return next((message) => message.id === id && message.method === undefined, `the answer to ${method} (id ${JSON.stringify(id)})`);
  };
  return {
    pid: child.pid,
    write,
    messages,
    lines,
    next,
    request,
    initialize: async () => {
      // The first answer waits for the hangar's start-up (≈ 0.7 s of CPU loading its modules on a quiet
      // machine; over 10 s at load 17), so its bound is wider than a request's.
      write({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw-e2e", version: "1" } } });
      const answer = await next((message) => message.id === "init" && message.method === undefined, "the answer to initialize (id \"init\")", 30_000);
      if (answer.result === undefined) throw new Error(`initialize failed: ${JSON.stringify(answer)}`);
      write({ jsonrpc: "2.0", method: "notifications/initialized" });
    },
    stderr: stderrText,
    endStdin: () => {
      stdin.end();
    },
    closeStdout: () => {
      stdout.destroy();
    },
    pauseReading: () => {
      stdout.pause();
    },
    resumeReading: () => {
      stdout.resume();
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/**
 * For a test file: `start(config)` runs the built hangar on that config (written by `e2e`) over raw
 * pipes; after each test every hangar started is sent EOF and given 10 s to exit, then killed.
 */
export function useRawHangars(e2e: E2E): (config: object) => RawHangar {
  const running: RawHangar[] = [];
  afterEach(async () => {
    for (const hangar of running.splice(0)) {
      hangar.endStdin();
      const exit = await within(hangar.exited, 10_000, "the hangar to exit after stdin EOF").catch(() => undefined);
      if (exit === undefined) hangar.kill();
    }
  });
  return (config) => {
    const hangar = startRawHangar(e2e.writeConfig(config));
    running.push(hangar);
    return hangar;
  };
}
