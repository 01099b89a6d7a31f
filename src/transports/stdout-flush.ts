import type { Writable } from "node:stream";
import type { Logger } from "../observability/log.js";

/** How long the hangar, about to exit, waits for its client to read the answers still queued on stdout. */
export const STDOUT_FLUSH_TIMEOUT_MS = 10_000;

/**
 * Resolves once everything written to `stream` so far has been handed to the OS, the stream has
 * failed or closed, or `timeoutMs` has passed. Node writes stdout to a pipe asynchronously
 * (libuv queues what the pipe cannot take now; only files and terminals are written
 * synchronously), and process.exit() drops that queue: a client that reads slowly — or writes its
 * requests, closes stdin and only then reads — lost the last answers. An empty write's callback
 * runs after every earlier write has completed (writes complete in order), or with an error once
 * the stream is broken. Returns how many bytes were still queued when it stopped waiting (0 once
 * flushed).
 */
export function whenFlushed(stream: Writable, timeoutMs: number, log: Logger): Promise<number> {
  const queued = stream.writableLength;
  if (queued === 0 || stream.destroyed || !stream.writable) return Promise.resolve(0);
  log.info(`waiting up to ${timeoutMs / 1000} s for the client to read the last ${queued} bytes written to stdout`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      const left = stream.writableLength;
      log.warn(`exiting with ${left} bytes on stdout the client did not read within ${timeoutMs / 1000} s`);
      resolve(left);
    }, timeoutMs);
    stream.write("", () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}
