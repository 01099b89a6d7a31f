import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ClientGoneError, readBody, type BodyResult } from "../../src/transports/http/guards.js";
import { chunk, rawConnection, requestHead, type RawConnection } from "../helpers/raw-http.js";
import { waitFor } from "../helpers/wait.js";

/**
 * readBody against real requests on loopback, sent byte by byte as a test needs them: whole, split
 * across packets (the second part sent only once the server has read the first), chunked, too
 * large, or cut off. It hands a body over as soon as all its declared bytes are in, so these pin
 * down that it never hands over less, or more, than the body.
 */

interface Seen {
  result?: BodyResult;
  gone?: ClientGoneError;
  /** Pieces of body the server has read so far. */
  pieces: number;
}

const LIMIT = 64;
let server: Server | undefined;
const connections: RawConnection[] = [];

/** A server whose every request goes through readBody; `seen` records how each went, in order. */
async function serve(): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: Seen = { pieces: 0 };
    seen.push(entry);
    req.on("data", () => {
      entry.pieces++;
    });
    readBody(
      req,
      LIMIT,
      (result) => {
        entry.result = result;
        const text = result.ok ? result.body.toString("utf8") : result.message;
        res.writeHead(result.ok ? 200 : result.status, { "Content-Length": Buffer.byteLength(text) }).end(text);
      },
      (error) => {
        entry.gone = error;
      },
    );
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, seen };
}

async function connection(url: string): Promise<RawConnection> {
  const opened = await rawConnection(url);
  connections.push(opened);
  return opened;
}

afterEach(async () => {
  for (const opened of connections.splice(0)) opened.close();
  const closing = server;
  server = undefined;
  if (closing !== undefined) {
    closing.closeAllConnections();
    await new Promise((resolve) => closing.close(resolve));
  }
});

describe("readBody", () => {
  it("hands over a body that came whole, and one split across packets (inside a UTF-8 character) only once all of it is in", async () => {
    const { url, seen } = await serve();
    const conn = await connection(url);

    await conn.write(`${requestHead("POST", "/", { Host: "x", "Content-Length": "7" })}{"a":1}`);
    expect(await conn.answer()).toMatchObject({ status: 200, body: '{"a":1}' });

    // "é" is two bytes; the split falls between them.
    const body = Buffer.from('{"t":"é"}', "utf8");
    const cut = body.indexOf(0xc3) + 1;
    await conn.write(Buffer.concat([Buffer.from(requestHead("POST", "/", { Host: "x", "Content-Length": String(body.length) })), body.subarray(0, cut)]));
    await waitFor(() => seen[1]?.pieces === 1, 5_000, "the server to read the first part");
    expect(seen[1]?.result).toBeUndefined();
    await conn.write(body.subarray(cut));
    const answer = await conn.answer();
    expect(answer).toMatchObject({ status: 200, body: '{"t":"é"}' });
    expect(seen[1]?.pieces).toBe(2);
  });

  it("gathers a chunked body until its end, and an empty body is empty", async () => {
    const { url, seen } = await serve();
    const conn = await connection(url);
    await conn.write(requestHead("POST", "/", { Host: "x", "Transfer-Encoding": "chunked" }));
    await conn.write(chunk('{"a":'));
    await waitFor(() => seen[0]?.pieces === 1, 5_000, "the server to read the first chunk");
    expect(seen[0]?.result).toBeUndefined();
    await conn.write(Buffer.concat([chunk("[1,2,"), chunk("3]}"), chunk("")]));
    expect(await conn.answer()).toMatchObject({ status: 200, body: '{"a":[1,2,3]}' });

    await conn.write(requestHead("POST", "/", { Host: "x", "Content-Length": "0" }));
    expect(await conn.answer()).toMatchObject({ status: 200, body: "" });
  });

  it("refuses a declared length over the limit before reading, and a chunked body as soon as it grows past it", async () => {
    const { url, seen } = await serve();
    const declared = await connection(url);
    await declared.write(requestHead("POST", "/", { Host: "x", "Content-Length": String(LIMIT + 1) }));
    const early = await declared.answer();
    expect(early.status).toBe(413);
    expect(early.body).toContain(`limited to ${LIMIT} bytes`);
    expect(seen[0]?.pieces).toBe(0);

    const growing = await connection(url);
    await growing.write(requestHead("POST", "/", { Host: "x", "Transfer-Encoding": "chunked" }));
    await growing.write(Buffer.concat([chunk("x".repeat(LIMIT - 4)), chunk("y".repeat(8))]));
    const late = await growing.answer();
    expect(late.status).toBe(413);
    expect(seen[1]?.result).toMatchObject({ ok: false, status: 413 });
  });

  it("reports a client that leaves in the middle of a body as gone, and nothing else", async () => {
    const { url, seen } = await serve();
    const conn = await connection(url);
    await conn.write(`${requestHead("POST", "/", { Host: "x", "Content-Length": "40" })}{"half":`);
    await waitFor(() => seen[0]?.pieces === 1, 5_000, "the server to read the first part");
    conn.close();
    const gone = await waitFor(() => seen[0]?.gone, 5_000, "the server to notice the client left");
    expect(gone).toBeInstanceOf(ClientGoneError);
    expect(seen[0]?.result).toBeUndefined();
  });
});
