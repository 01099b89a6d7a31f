import { connect, type Socket } from "node:net";

/**
 * HTTP/1.1 over a plain socket, for what neither fetch nor node:http's client lets a test do:
 * send a request in pieces (a body split across packets, a chunked body written chunk by chunk),
 * pipeline several requests in one write, or leave in the middle of a body. Answers are parsed
 * as they arrive (Content-Length or chunked bodies), in order.
 */

export interface RawAnswer {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  socket: Socket;
  /** Writes bytes as they are, and resolves once the kernel has them. */
  write: (bytes: string | Buffer) => Promise<void>;
  /** The next answer on this connection (in the order the requests were sent). */
  answer: (timeoutMs?: number) => Promise<RawAnswer>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  close: () => void;
}

/** A connection to `url`'s host and port, with nothing sent yet. */
export async function rawConnection(url: string): Promise<RawConnection> {
  const target = new URL(url);
  const socket = connect({ host: target.hostname.replace(/^\[|\]$/g, ""), port: Number(target.port) });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let received = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake?.();
  });
  const closed = new Promise<void>((resolve) => {
    socket.once("close", () => {
      wake?.();
      resolve();
    });
  });
  socket.on("error", () => undefined);

  const answer = async (timeoutMs = 5_000): Promise<RawAnswer> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const parsed = parseAnswer(received);
      if (parsed !== undefined) {
        received = received.subarray(parsed.length);
        return parsed.answer;
      }
      if (socket.destroyed) throw new Error(`the connection closed before a whole answer arrived: ${received.toString("utf8")}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for an answer; got so far: ${received.toString("utf8")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const write = (bytes: string | Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      socket.write(bytes, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  return { socket, write, answer, closed, close: () => socket.destroy() };
}

/** The head of a request: request line and headers, with the blank line that ends them. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  return `${method} ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("")}\r\n`;
}

/** One chunk of a chunked body (an empty one ends it). */
export function chunk(bytes: string | Buffer): Buffer {
  const data = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")]);
}

function parseAnswer(bytes: Buffer): { answer: RawAnswer; length: number } | undefined {
  const headEnd = bytes.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [statusLine = "", ...lines] = bytes.subarray(0, headEnd).toString("latin1").split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let offset = headEnd + 4;
  if (headers["transfer-encoding"] === "chunked") {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = bytes.indexOf("\r\n", offset);
      if (lineEnd === -1) return undefined;
      const size = parseInt(bytes.subarray(offset, lineEnd).toString("latin1"), 16);
      if (bytes.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { answer: { status, headers, body: Buffer.concat(parts).toString("utf8") }, length: offset };
  }
  const length = Number(headers["content-length"] ?? 0);
  if (bytes.length < offset + length) return undefined;
  return { answer: { status, headers, body: bytes.subarray(offset, offset + length).toString("utf8") }, length: offset + length };
}
